/**
 * Where scans, results, checkpoints and model folders live. Redis holds only their keys.
 * Keys are `/`-separated relative paths under a tenant prefix (`tenants/{tid}/…`).
 */
export interface BlobStore {
  /** Stores `bytes` at `key`, atomically (a reader never sees half a blob). */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Streams the local file at `path` to `key`, atomically. */
  putFile(key: string, path: string): Promise<void>;
  /** Streams the blob, or undefined when there is none. */
  get(key: string): Promise<ReadableStream<Uint8Array> | undefined>;
  /** The whole blob in memory, or undefined. For small blobs (JSON, masks of one case). */
  read(key: string): Promise<Uint8Array | undefined>;
  /** Size in bytes, or undefined when there is no blob at `key`. */
  stat(key: string): Promise<{ size: number } | undefined>;
  /** Removes the blob; no error when there is none. */
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
}

/** Rejects keys that could escape the store's root or are not plain relative paths. */
export function checkKey(key: string): string {
  if (
    key === "" || key.startsWith("/") || key.includes("\\") || key.includes("\0") ||
    key.split("/").some((part) => part === "" || part === "." || part === "..")
  ) {
    throw new Error(`invalid blob key '${key}'`);
  }
  return key;
}
