import { join } from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import zlib from "node:zlib";
import type { BlobStore } from "../../shared/blob/store.ts";
import { blobKeys } from "../../shared/blob/keys.ts";
import type { Scan } from "../../shared/contracts/scans.ts";
import { UserError } from "../../shared/errors.ts";
import { newId } from "../../shared/queue/ids.ts";
import { isGzip } from "../../shared/volume/gunzip.ts";
import { DEFAULT_LIMITS, inspectVolumeHeader } from "../../shared/volume/mod.ts";
import { type NiftiHeaderInfo, parseNiftiFileHeader } from "../../shared/volume/nifti_header.ts";

const acceptedExtension = /\.(nii|nii\.gz|h5|hdf5)$/i;
/** Letters and digits of any script, spaces and `. _ - ( ) + ,`; no paths, no control characters. */
const acceptedCharacters = /^[\p{L}\p{M}\p{N}_.\-()+, ]{1,200}$/u;

/** Where an upload goes and how large it may be. */
export interface UploadTarget {
  blob: BlobStore;
  spoolDir: string;
  maxBytes: number;
  /** The tenant's largest scan, voxels × channels (`TenantLimits.maxScanVoxels`). */
  maxVoxels: number;
  /** Longest silence from the client before the upload is abandoned (408). */
  idleTimeoutMs: number;
}

function tooLarge(name: string, maxBytes: number): UserError {
  return new UserError(
    "payload_too_large",
    `${name}: larger than the ${maxBytes}-byte upload limit`,
  );
}

/**
 * Streams `body` into a new file at `path`, refusing more than `maxBytes`, and gives up on a
 * client that sends nothing for `idleTimeoutMs` (a stalled upload would hold its socket and
 * spool file forever).
 */
async function spool(
  body: ReadableStream<Uint8Array>,
  path: string,
  name: string,
  limits: { maxBytes: number; idleTimeoutMs: number },
): Promise<number> {
  let received = 0;
  const file = await Deno.open(path, { write: true, createNew: true });
  const reader = body.getReader();
  try {
    while (true) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(
            new UserError(
              "upload_timeout",
              `${name}: nothing received for ${limits.idleTimeoutMs / 1000} s after ${received} ` +
                "bytes; upload abandoned",
            ),
          );
        }, limits.idleTimeoutMs);
      });
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await Promise.race([reader.read(), idle]);
      } finally {
        clearTimeout(timer);
      }
      if (chunk.done) return received;
      received += chunk.value.length;
      if (received > limits.maxBytes) throw tooLarge(name, limits.maxBytes);
      let written = 0;
      while (written < chunk.value.length) {
        written += await file.write(chunk.value.subarray(written));
      }
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error instanceof UserError ? error : new UserError(
      "invalid_upload",
      `${name}: the upload broke off (${(error as Error).message})`,
    );
  } finally {
    file.close();
  }
}

/** Bytes per voxel of each stored type, and how to read one from a DataView. */
const VOXEL_READERS: Record<
  NiftiHeaderInfo["datatype"],
  [width: number, read: (view: DataView, at: number, little: boolean) => number]
> = {
  uint8: [1, (v, at) => v.getUint8(at)],
  int8: [1, (v, at) => v.getInt8(at)],
  int16: [2, (v, at, little) => v.getInt16(at, little)],
  uint16: [2, (v, at, little) => v.getUint16(at, little)],
  int32: [4, (v, at, little) => v.getInt32(at, little)],
  uint32: [4, (v, at, little) => v.getUint32(at, little)],
  float32: [4, (v, at, little) => v.getFloat32(at, little)],
  float64: [8, (v, at, little) => v.getFloat64(at, little)],
};

/** More distinct values than this and a volume is no label (a label holds classes 0-255). */
const MAX_LABEL_VALUES = 256;

/**
 * Tallies a NIfTI volume's voxels as its bytes stream past, in chunks of any size (a value split
 * across two chunks is carried over): the NaN and ±Inf count, and the distinct values (after the
 * header's scaling) while there are at most {@link MAX_LABEL_VALUES}, so that a dataset can check a
 * label's classes without decoding it again.
 */
class VoxelTally {
  nonFinite = 0;
  /** The distinct values so far; null once there were too many to be a label. */
  distinct: Set<number> | null = new Set();
  private offset = 0;
  private carry = new Uint8Array(0);
  private readonly width: number;
  private readonly read: (view: DataView, at: number, little: boolean) => number;

  constructor(private readonly header: NiftiHeaderInfo) {
    [this.width, this.read] = VOXEL_READERS[header.datatype];
  }

  push(chunk: Uint8Array): void {
    const start = this.offset;
    this.offset += chunk.length;
    const dataStart = this.header.voxOffset;
    const dataEnd = dataStart + this.header.dataBytes;
    const from = Math.max(dataStart, start) - start;
    const to = Math.min(dataEnd, this.offset) - start;
    if (to <= from) return;
    const bytes = new Uint8Array(this.carry.length + (to - from));
    bytes.set(this.carry);
    bytes.set(chunk.subarray(from, to), this.carry.length);
    const whole = bytes.length - (bytes.length % this.width);
    const view = new DataView(bytes.buffer, 0, whole);
    const { littleEndian, scaling } = this.header;
    const slope = scaling?.slope ?? 1;
    const inter = scaling?.inter ?? 0;
    let distinct = this.distinct;
    for (let i = 0; i < whole; i += this.width) {
      const v = this.read(view, i, littleEndian) * slope + inter;
      if (!Number.isFinite(v)) this.nonFinite++;
      else if (distinct !== null && !distinct.has(v)) {
        distinct.add(v);
        if (distinct.size > MAX_LABEL_VALUES) distinct = null;
      }
    }
    this.distinct = distinct;
    this.carry = bytes.slice(whole);
  }

  /** The distinct values, sorted, or null when there were more than a label holds. */
  distinctValues(): number[] | null {
    return this.distinct && [...this.distinct].sort((a, b) => a - b);
  }
}

/**
 * Inflates a gzip stream with the runtime's zlib, every member in turn: gzip files may be several
 * members back to back (concatenated `gzip` output, pigz, bgzip), which the web
 * `DecompressionStream` refuses after the first.
 */
function gunzipStream(input: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const source = Readable.fromWeb(input as NodeReadableStream<Uint8Array>);
  const inflate = zlib.createGunzip();
  source.on("error", (error) => inflate.destroy(error));
  return Readable.toWeb(source.pipe(inflate)) as ReadableStream<Uint8Array>;
}

/**
 * Streams a spooled NIfTI once (inflating gzip: every member, so a truncated or corrupt
 * `.nii.gz` fails here although its header reads fine), counting the bytes and tallying the
 * voxels. Stops past `maxBytes` (a gzip bomb).
 */
async function scanVoxels(
  path: string,
  name: string,
  gzip: boolean,
  header: NiftiHeaderInfo,
  maxBytes: number,
): Promise<{ bytes: number; tally: VoxelTally }> {
  const file = await Deno.open(path);
  const tally = new VoxelTally(header);
  let bytes = 0;
  try {
    const stream = gzip ? gunzipStream(file.readable) : file.readable;
    const reader = stream.getReader();
    while (true) {
      const { done, value } = await reader.read();
      if (done) return { bytes, tally };
      tally.push(value);
      bytes += value.length;
      if (bytes > maxBytes) {
        await reader.cancel();
        throw new UserError("invalid_volume", `${name}: inflates past ${maxBytes} bytes`);
      }
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(
      "invalid_volume",
      `${name}: truncated or corrupt gzip data after ${bytes} inflated bytes`,
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
 * volume module's parser and limits), the voxel count against the tenant's limit, then one
 * streamed pass: the byte count the header implies against what the file (or the whole gzip
 * stream) holds, and every float voxel finite. NaN or ±Inf voxels are refused rather than
 * segmented into an all-NaN probability map and an empty mask.
 */
async function inspectNifti(
  path: string,
  name: string,
  maxVoxels: number,
): Promise<ScanHeader> {
  // A gzipped header is found within the first 256 KiB of input (gunzipPrefix).
  const head = await readHead(path, 256 * 1024);
  const gzip = isGzip(head);
  const header = parseNiftiFileHeader(head, name, DEFAULT_LIMITS);
  checkVoxelCount(name, header.shape, header.channels, maxVoxels);
  const need = header.voxOffset + header.dataBytes;
  const { bytes, tally } = await scanVoxels(path, name, gzip, header, need + 64 * 1024 ** 2);
  if (bytes < need) {
    throw new UserError(
      "invalid_volume",
      `${name}: header declares ${need} bytes (offset ${header.voxOffset} + voxel data), but the ` +
        `${gzip ? "gzip stream holds" : "file has"} ${bytes}`,
    );
  }
  if (tally.nonFinite > 0) {
    throw new UserError(
      "invalid_volume",
      `${name}: ${tally.nonFinite} voxels are NaN or infinite; replace them (e.g. with 0) and upload again`,
    );
  }
  return { ...header, format: "nifti", distinctValues: tally.distinctValues() };
}

/** Refuses a scan larger than the tenant may upload, from its declared dims alone. */
function checkVoxelCount(
  name: string,
  shape: readonly number[],
  channels: number,
  maxVoxels: number,
): void {
  const voxels = shape.reduce((a, b) => a * b, 1) * channels;
  if (voxels > maxVoxels) {
    throw new UserError(
      "payload_too_large",
      `${name}: declares [${shape}]×${channels} = ${voxels} voxels, over this tenant's limit of ` +
        `${maxVoxels}`,
    );
  }
}

/** What the answer reports of a validated scan. */
type ScanHeader = Pick<
  Scan,
  "format" | "shape" | "channels" | "spacing" | "datatype" | "distinctValues"
>;

/**
 * Validates a spooled upload. HDF5 is read whole (its metadata can sit anywhere in the file), so
 * its memory is bounded by the upload limit; NIfTI is checked streaming.
 */
async function inspectSpooled(path: string, name: string, maxVoxels: number): Promise<ScanHeader> {
  if (/\.(h5|hdf5)$/i.test(name)) {
    const header = await inspectVolumeHeader(await Deno.readFile(path), name);
    checkVoxelCount(name, header.shape, header.channels, maxVoxels);
    return header;
  }
  return await inspectNifti(path, name, maxVoxels);
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
  if (!acceptedExtension.test(name)) {
    throw new UserError(
      "unsupported_media_type",
      `'${name}': expected a file name ending in .nii, .nii.gz, .h5 or .hdf5`,
    );
  }
  if (!acceptedCharacters.test(name.normalize("NFC"))) {
    throw new UserError(
      "invalid_request",
      `'${name}': a file name holds 1 to 200 letters, digits, spaces and . _ - ( ) + , ` +
        "(no slashes or control characters)",
    );
  }
  if (declaredLength !== undefined && declaredLength > target.maxBytes) {
    throw tooLarge(name, target.maxBytes);
  }
  if (!body) throw new UserError("invalid_volume", `${name}: empty upload`);
  const id = newId("scan");
  const path = join(target.spoolDir, `llmseg-upload-${id}`);
  try {
    const bytes = await spool(body, path, name, target);
    if (bytes === 0) throw new UserError("invalid_volume", `${name}: empty upload`);
    const header = await inspectSpooled(path, name, target.maxVoxels);
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
      distinctValues: header.distinctValues,
      bytes,
      blobKey,
      createdAt: new Date().toISOString(),
    };
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}
