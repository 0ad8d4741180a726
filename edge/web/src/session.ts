/** Where the signed-in API key lives: this tab's sessionStorage, gone when the tab closes. */
const KEY = "llmseg.apiKey";

export function loadApiKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function saveApiKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function clearApiKey(): void {
  sessionStorage.removeItem(KEY);
}
