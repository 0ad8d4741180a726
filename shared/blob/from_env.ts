import { fsBlobStore } from "./fs.ts";
import { s3BlobStore } from "./s3.ts";
import type { BlobStore } from "./store.ts";

/**
 * The blob store the environment names: S3-compatible when `LLMSEG_S3_BUCKET` is set (with
 * `LLMSEG_S3_ENDPOINT`, `LLMSEG_S3_REGION`, `LLMSEG_S3_ACCESS_KEY_ID`, `LLMSEG_S3_SECRET_ACCESS_KEY`,
 * `LLMSEG_S3_PREFIX`), else the filesystem under `LLMSEG_BLOB_DIR` (default `runs/blobs`).
 */
export function blobStoreFromEnv(
  env: (name: string) => string | undefined = Deno.env.get,
): BlobStore {
  const bucket = env("LLMSEG_S3_BUCKET");
  if (!bucket) return fsBlobStore(env("LLMSEG_BLOB_DIR") ?? "runs/blobs");
  const accessKeyId = env("LLMSEG_S3_ACCESS_KEY_ID");
  const secretAccessKey = env("LLMSEG_S3_SECRET_ACCESS_KEY");
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(
      "LLMSEG_S3_BUCKET is set: also set LLMSEG_S3_ACCESS_KEY_ID and LLMSEG_S3_SECRET_ACCESS_KEY",
    );
  }
  return s3BlobStore({
    bucket,
    endpoint: env("LLMSEG_S3_ENDPOINT"),
    region: env("LLMSEG_S3_REGION"),
    accessKeyId,
    secretAccessKey,
    prefix: env("LLMSEG_S3_PREFIX"),
  });
}
