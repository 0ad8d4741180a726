/** Blob storage: the filesystem by default, S3-compatible by configuration. */
export { type BlobStore, checkKey } from "./store.ts";
export { fsBlobStore } from "./fs.ts";
export { s3BlobStore, type S3BlobStoreOptions } from "./s3.ts";
export { downloadFolder, type UploadedFiles, uploadFolder } from "./folders.ts";
export { blobKeys, resultFiles } from "./keys.ts";
export { blobStoreFromEnv } from "./from_env.ts";
