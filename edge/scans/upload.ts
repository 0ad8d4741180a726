import { join } from "node:path";
import type { BlobStore } from "../../shared/blob/store.ts";
import { blobKeys } from "../../shared/blob/keys.ts";
import type { Scan } from "../../shared/contracts/scans.ts";
import { UserError } from "../../shared/errors.ts";
import { newId } from "../../shared/queue/ids.ts";
import { inspectVolumeHeader } from "../../shared/volume/mod.ts";

const acceptedName = /^[\w.\- ]{1,200}\.(nii|nii\.gz|h5|hdf5)$/i;

/** Where an upload goes and how large it may be. */
export interface UploadTarget {
  blob: BlobStore;
  spoolDir: string;
  maxBytes: number;
}

function tooLarge(name: string, maxBytes: number): UserError {
  return new UserError(
    "payload_too_large",
    `${name}: larger than the ${maxBytes}-byte upload limit`,
  );
}

/** Streams `body` into a new file at `path`, refusing more than `maxBytes`. */
async function spool(
  body: ReadableStream<Uint8Array>,
  path: string,
  name: string,
  maxBytes: number,
): Promise<number> {
  let received = 0;
  const limit = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      received += chunk.length;
      if (received > maxBytes) controller.error(tooLarge(name, maxBytes));
      else controller.enqueue(chunk);
    },
  });
  const file = await Deno.open(path, { write: true, createNew: true });
  try {
    await body.pipeThrough(limit).pipeTo(file.writable);
  } catch (error) {
    throw error instanceof UserError ? error : new UserError(
      "invalid_upload",
      `${name}: the upload broke off (${(error as Error).message})`,
    );
  }
  return received;
}

/**
 * Inflates a whole gzip file as a stream, counting bytes: a truncated or corrupt `.nii.gz` fails
 * here although its header (first bytes) reads fine. Stops past `maxInflated` (gzip bomb).
 */
async function checkGzipIntact(path: string, name: string, maxInflated: number): Promise<void> {
  const file = await Deno.open(path);
  let inflated = 0;
  try {
    const reader = file.readable.pipeThrough(new DecompressionStream("gzip")).getReader();
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      inflated += value.length;
      if (inflated > maxInflated) {
        await reader.cancel();
        throw new UserError("invalid_volume", `${name}: inflates past ${maxInflated} bytes`);
      }
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError("invalid_volume", `${name}: truncated or corrupt gzip data`);
  }
}

/**
 * Receives one scan upload: streams the body to a spool file (at most `maxBytes`), validates the
 * header (magic, dims, declared vs present bytes; the whole gzip stream for `.nii.gz`), then
 * streams the file to the blob store. Bad uploads throw a {@link UserError} and leave nothing
 * behind: the spool file is always removed and the blob is written only once valid.
 *
 * Validation reads the spooled file into memory once (the volume inspector takes bytes), so the
 * memory an upload can use is bounded by `maxBytes`.
 */
export async function receiveScan(
  tenantId: string,
  name: string,
  body: ReadableStream<Uint8Array> | null,
  declaredLength: number | undefined,
  target: UploadTarget,
): Promise<Scan> {
  if (!acceptedName.test(name)) {
    throw new UserError(
      "unsupported_media_type",
      `'${name}': expected a file name ending in .nii, .nii.gz, .h5 or .hdf5`,
    );
  }
  if (declaredLength !== undefined && declaredLength > target.maxBytes) {
    throw tooLarge(name, target.maxBytes);
  }
  if (!body) throw new UserError("invalid_volume", `${name}: empty upload`);
  const id = newId("scan");
  const path = join(target.spoolDir, `llmseg-upload-${id}`);
  try {
    const bytes = await spool(body, path, name, target.maxBytes);
    if (bytes === 0) throw new UserError("invalid_volume", `${name}: empty upload`);
    const header = await inspectVolumeHeader(await Deno.readFile(path), name);
    if (/\.gz$/i.test(name)) await checkGzipIntact(path, name, header.dataBytes + 64 * 1024 ** 2);
    const blobKey = blobKeys.scan(tenantId, id);
    await target.blob.putFile(blobKey, path);
    return {
      id,
      name,
      format: header.format,
      shape: header.shape,
      channels: header.channels,
      spacing: header.spacing,
      datatype: header.datatype,
      bytes,
      blobKey,
      createdAt: new Date().toISOString(),
    };
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}
