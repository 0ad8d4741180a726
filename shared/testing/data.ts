/**
 * Locates the real data handed to the project (`../shared/data` beside the checkout). Tests that
 * use it skip when it is absent: `Deno.test({ ignore: !sharedData, ... })`.
 */
const candidate = new URL("../../../shared/data/", import.meta.url);

function exists(url: URL): boolean {
  try {
    return Deno.statSync(url).isDirectory;
  } catch {
    return false;
  }
}

/** Absolute path of `../shared/data`, or undefined when this checkout has none beside it. */
export const sharedData: string | undefined = exists(candidate)
  ? decodeURIComponent(candidate.pathname).replace(/\/$/, "")
  : undefined;

/** Path of a file under the shared data folder; only call when {@link sharedData} is set. */
export function sharedDataPath(relative: string): string {
  if (!sharedData) throw new Error("../shared/data is not present");
  return `${sharedData}/${relative}`;
}
