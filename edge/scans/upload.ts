import { join } from "node:path";
import type { BlobStore } from "../../shared/blob/store.ts";
import { blobKeys } from "../../shared/blob/keys.ts";
import type { Scan } from "../../shared/contracts/scans.ts";
import { UserError } from "../../shared/errors.ts";
import { newId } from "../../shared/queue/ids.ts";
import { isGzip } from "../../shared/volume/gunzip.ts";
import { DEFAULT_LIMITS, inspectVolumeHeader } from "../../shared/volume/mod.ts";
import { parseNiftiFileHeader } from "../../shared/volume/nifti_header.ts";

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
 * Inflates a whole gzip file as a stream and counts the bytes: a truncated or corrupt `.nii.gz`
 * fails here although its header (first bytes) reads fine. Stops past `maxInflated` (gzip bomb).
 */
async function inflatedSize(path: string, name: string, maxInflated: number): Promise<number> {
  const file = await Deno.open(path);
  let inflated = 0;
  try {
    const reader = file.readable.pipeThrough(new DecompressionStream("gzip")).getReader();
    while (true) {
      const { done, value } = await reader.read();
      if (done) return inflated;
      inflated += value.length;
      if (inflated > maxInflated) {
        await reader.cancel();
        throw new UserError("invalid_volume", `${name}: inflates past ${maxInflated} bytes`);
      }
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(
      "invalid_volume",
      `${name}: truncated or corrupt gzip data after ${inflated} inflated bytes`,
    );
  }
}

/** The first `count` bytes of a file (fewer when it is shorter). */
async function readHead(path: string, count: number): Promise<Uint8Array> {
  const file = await Deno.open(path);
  try {
    const head = new Uint8Array(count);
    let filled = 0;
    while (filled < count) {
      const n = await file.read(head.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    return head.subarray(0, filled);
  } finally {
    file.close();
  }
}

/**
 * Validates a spooled NIfTI without holding it in memory: the header from the first bytes (the
 * volume module's parser and limits), then the byte count the header implies against the file
 * size, or for gzip against the whole stream inflated and counted.
 */
async function inspectNifti(path: string, name: string, size: number): Promise<ScanHeader> {
  // A gzipped header is found within the first 256 KiB of input (gunzipPrefix).
  const head = await readHead(path, 256 * 1024);
  const gzip = isGzip(head);
  const header = parseNiftiFileHeader(head, name, DEFAULT_LIMITS);
  const need = header.voxOffset + header.dataBytes;
  const available = gzip ? await inflatedSize(path, name, need + 64 * 1024 ** 2) : size;
  if (available < need) {
    throw new UserError(
      "invalid_volume",
      `${name}: header declares ${need} bytes (offset ${header.voxOffset} + voxel data), but the ` +
        `${gzip ? "gzip stream holds" : "file has"} ${available}`,
    );
  }
  return { ...header, format: "nifti" };
}

/** What the answer reports of a validated scan. */
type ScanHeader = Pick<Scan, "format" | "shape" | "channels" | "spacing" | "datatype">;

/**
 * Validates a spooled upload. HDF5 is read whole (its metadata can sit anywhere in the file), so
 * its memory is bounded by the upload limit; NIfTI is checked streaming.
 */
async function inspectSpooled(path: string, name: string, size: number): Promise<ScanHeader> {
  if (/\.(h5|hdf5)$/i.test(name)) return await inspectVolumeHeader(await Deno.readFile(path), name);
  return await inspectNifti(path, name, size);
}

/**
 * Receives one scan upload: streams the body to a spool file (at most `maxBytes`), validates the
 * header (magic, dims, declared vs present bytes; the whole gzip stream for `.nii.gz`), then
 * streams the file to the blob store. Bad uploads throw a {@link UserError} and leave nothing
 * behind: the spool file is always removed and the blob is written only once valid.
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
    const header = await inspectSpooled(path, name, bytes);
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
