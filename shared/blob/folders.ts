import { basename, dirname, join, relative } from "node:path";
import type { BlobStore } from "./store.ts";

async function* walkFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walkFiles(path);
    else if (entry.isFile) yield path;
  }
}

/**
 * What an earlier {@link uploadFolder} of the same folder sent, by relative path: size and
 * modification time, so a periodic upload (a training's checkpoints) skips files that did not change.
 */
export type UploadedFiles = Map<string, string>;

/**
 * Uploads every file under local `dir` to `prefix/<relative path>` (model folders, checkpoints);
 * with `uploaded`, only files whose size or modification time changed since, recording what it
 * sent. Resolves to the keys written. The folder may be written meanwhile (a training rewrites its
 * checkpoint through temp files and renames): temp and hidden files are skipped, and a file that
 * vanishes between listing and copying is left out rather than failing the upload.
 */
export async function uploadFolder(
  store: BlobStore,
  dir: string,
  prefix: string,
  uploaded?: UploadedFiles,
): Promise<string[]> {
  const keys: string[] = [];
  for await (const path of walkFiles(dir)) {
    if (/\.tmp-|^\./.test(basename(path))) continue;
    const name = relative(dir, path);
    const key = `${prefix}/${name}`;
    try {
      // Stat before copying: a file replaced meanwhile is sent again next time, never missed.
      const info = await Deno.stat(path);
      const fingerprint = `${info.size}:${info.mtime?.getTime()}`;
      if (uploaded?.get(name) === fingerprint) continue;
      await store.putFile(key, path);
      uploaded?.set(name, fingerprint);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
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
