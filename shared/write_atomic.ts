/**
 * Writes `content` to a temp file beside `path`, then renames it over `path`, so that a reader
 * sees the old file or the whole new one, never half of it; on failure the temp file is removed.
 * The folder must exist (a missing one fails with Deno.errors.NotFound).
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const temp = `${path}.tmp-${crypto.randomUUID()}`;
  try {
    if (typeof content === "string") await Deno.writeTextFile(temp, content);
    else await Deno.writeFile(temp, content);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
