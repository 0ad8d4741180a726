/** True when a file or folder can be stat'ed at `path`; false when missing or unreadable. */
export function pathExists(path: string): Promise<boolean> {
  return Deno.stat(path).then(() => true, () => false);
}
