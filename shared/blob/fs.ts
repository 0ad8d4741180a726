import { dirname, join } from "node:path";
import { type BlobStore, checkKey } from "./store.ts";

function isNotFound(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound;
}

/**
 * The default {@link BlobStore}: files under `root`. Writes go to a temporary file beside the
 * target and are renamed into place, so a crash never leaves half a blob under a real key.
 *
 * @example
 * ```ts ignore
 * const store = fsBlobStore("/var/lib/llmseg/blobs");
 * await store.put("tenants/t1/a.json", new TextEncoder().encode("{}"));
 * ```
 */
export function fsBlobStore(root: string): BlobStore {
  const pathOf = (key: string): string => join(root, checkKey(key));

  async function atomically(key: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const target = pathOf(key);
    await Deno.mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${crypto.randomUUID()}`;
    try {
      await write(tmp);
      await Deno.rename(tmp, target);
    } catch (error) {
      await Deno.remove(tmp).catch(() => {});
      throw error;
    }
  }

  return {
    put: (key, bytes) => atomically(key, (tmp) => Deno.writeFile(tmp, bytes)),
    putFile: (key, path) => atomically(key, (tmp) => Deno.copyFile(path, tmp)),
    async get(key) {
      try {
        return (await Deno.open(pathOf(key))).readable;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async read(key) {
      try {
        return await Deno.readFile(pathOf(key));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async stat(key) {
      try {
        const info = await Deno.stat(pathOf(key));
        return info.isFile ? { size: info.size } : undefined;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async delete(key) {
      await Deno.remove(pathOf(key)).catch((error) => {
        if (!isNotFound(error)) throw error;
      });
    },
    async list(prefix) {
      const found: string[] = [];
      async function walk(dir: string, rel: string): Promise<void> {
        let entries: Deno.DirEntry[];
        try {
          entries = await Array.fromAsync(Deno.readDir(dir));
        } catch (error) {
          if (isNotFound(error)) return;
          throw error;
        }
        for (const entry of entries) {
          const key = rel ? `${rel}/${entry.name}` : entry.name;
          if (entry.isDirectory) await walk(join(dir, entry.name), key);
          else if (entry.isFile && !entry.name.includes(".tmp-") && key.startsWith(prefix)) {
            found.push(key);
          }
        }
      }
      await walk(root, "");
      return found.sort();
    },
  };
}
