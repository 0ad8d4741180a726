import { dirname, join, relative } from "node:path";
import type { BlobStore } from "./store.ts";

async function* walkFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walkFiles(path);
    else if (entry.isFile) yield path;
  }
}

/** Uploads every file under local `dir` to `prefix/<relative path>` (model folders, checkpoints). */
export async function uploadFolder(
  store: BlobStore,
  dir: string,
  prefix: string,
): Promise<string[]> {
  const keys: string[] = [];
  for await (const path of walkFiles(dir)) {
    const key = `${prefix}/${relative(dir, path)}`;
    await store.putFile(key, path);
    keys.push(key);
  }
  return keys;
}

/** Downloads every blob under `prefix/` into local `dir`; resolves to how many files came. */
export async function downloadFolder(
  store: BlobStore,
  prefix: string,
  dir: string,
): Promise<number> {
  const keys = await store.list(`${prefix}/`);
  for (const key of keys) {
    const bytes = await store.read(key);
    if (!bytes) continue; // deleted meanwhile
    const path = join(dir, key.slice(prefix.length + 1));
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeFile(path, bytes);
  }
  return keys.length;
}
