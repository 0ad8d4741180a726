/**
 * The safetensors container (huggingface/safetensors): an 8-byte little-endian header length N,
 * N bytes of JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { string:
 * string } }` (padded with spaces to 8 bytes), then the raw little-endian tensor bytes, offsets
 * relative to the end of the header. Readers refuse anything malformed with a UserError naming
 * the file and the problem.
 */
import { z } from "zod";
import { UserError } from "@llmseg/shared";
import { writeFileAtomic } from "../../shared/write_atomic.ts";

/** Element types read and written here (safetensors names). */
export type SafetensorsDtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "U8";

const BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  U8: 1,
};

/** One tensor: row-major raw data of `shape`. */
export interface TensorEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Values; F16/BF16 stay as raw Uint16 bit patterns. */
  data: Float64Array | Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;
}

/** A decoded file: named tensors in header order plus the string metadata map. */
export interface SafetensorsFile {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

const EntrySchema = z.object({
  dtype: z.enum(["F64", "F32", "F16", "BF16", "I64", "I32", "U8"]),
  shape: z.array(z.number().int().min(0)),
  data_offsets: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
});

/** Largest header accepted (the reference implementation's limit: 100 MB). */
const MAX_HEADER = 100_000_000;

/** Parses safetensors bytes; `source` names the file in errors. */
export function decodeSafetensors(bytes: Uint8Array, source: string): SafetensorsFile {
  const fail = (problem: string): never => {
    throw new UserError(
      "invalid_safetensors",
      `${source}: not a valid safetensors file: ${problem}`,
    );
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER || 8 + headerLength > bytes.length) {
    fail(`header length ${headerLength} exceeds the file size ${bytes.length}`);
  }
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch (error) {
    fail(`header is not UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    fail("header is not a JSON object");
  }
  const body = bytes.subarray(8 + headerLength);
  const metadata: Record<string, string> = {};
  const spans: Array<[number, number, string]> = [];
  const tensors = new Map<string, TensorEntry>();
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      const parsed = z.record(z.string(), z.string()).safeParse(value);
      if (!parsed.success) fail("__metadata__ must map strings to strings");
      Object.assign(metadata, parsed.data);
      continue;
    }
    const parsed = EntrySchema.safeParse(value);
    if (!parsed.success) {
      fail(`tensor "${name}": ${z.prettifyError(parsed.error).replaceAll("\n", " ")}`);
    }
    const { dtype, shape, data_offsets: [begin, end] } = parsed.data!;
    const expected = shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
    if (end < begin || end > body.length) {
      fail(
        `tensor "${name}": data_offsets [${begin}, ${end}] outside the ${body.length}-byte data`,
      );
    }
    if (end - begin !== expected) {
      fail(
        `tensor "${name}": ${end - begin} bytes for ${dtype} shape [${shape}] (needs ${expected})`,
      );
    }
    spans.push([begin, end, name]);
    tensors.set(name, { dtype, shape, data: typedView(dtype, body.slice(begin, end)) });
  }
  spans.sort((a, b) => a[0] - b[0]);
  let cursor = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== cursor) {
      fail(`tensor "${name}" starts at ${begin}, expected ${cursor} (gap or overlap)`);
    }
    cursor = end;
  }
  if (cursor !== body.length) fail(`${body.length - cursor} trailing bytes after the last tensor`);
  return { tensors, metadata };
}

/** Serialises tensors (in the map's order) and metadata. */
export function encodeSafetensors(file: SafetensorsFile): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(file.metadata).length > 0) header.__metadata__ = file.metadata;
  let offset = 0;
  for (const [name, entry] of file.tensors) {
    const size = entry.data.byteLength;
    const expected = entry.shape.reduce((a, b) => a * b, 1) * BYTES[entry.dtype];
    if (size !== expected) {
      throw new Error(`tensor ${name}: ${size} bytes for ${entry.dtype} shape [${entry.shape}]`);
    }
    header[name] = {
      dtype: entry.dtype,
      shape: entry.shape,
      data_offsets: [offset, offset + size],
    };
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(padded - json.length));
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let cursor = 8 + json.length;
  for (const entry of file.tensors.values()) {
    out.set(
      new Uint8Array(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength),
      cursor,
    );
    cursor += entry.data.byteLength;
  }
  return out;
}

/** Reads and decodes a safetensors file. */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw new UserError(
      "invalid_safetensors",
      `${path}: cannot read (${(error as Error).message})`,
    );
  }
  return decodeSafetensors(bytes, path);
}

/** Writes a safetensors file atomically (temp file in the same folder, then rename). */
export async function writeSafetensors(path: string, file: SafetensorsFile): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(file));
}

/** Values of an entry as float32 (F16/BF16 expanded, integers converted). */
export function toFloat32(entry: TensorEntry): Float32Array {
  switch (entry.dtype) {
    case "F32":
      return entry.data as Float32Array;
    case "F16":
      return Float32Array.from(entry.data as Uint16Array, halfToFloat);
    case "BF16": {
      const bits = new Uint32Array((entry.data as Uint16Array).length);
      (entry.data as Uint16Array).forEach((h, i) => (bits[i] = h << 16));
      return new Float32Array(bits.buffer);
    }
    case "I64":
      return Float32Array.from(entry.data as BigInt64Array, (v) => Number(v));
    default:
      return Float32Array.from(entry.data as Float64Array | Int32Array | Uint8Array);
  }
}

/** A float32 entry. */
export function float32Entry(shape: number[], data: Float32Array): TensorEntry {
  return { dtype: "F32", shape, data };
}

function typedView(dtype: SafetensorsDtype, bytes: Uint8Array): TensorEntry["data"] {
  // `bytes` is a fresh copy (slice), so its buffer starts aligned.
  const buffer = bytes.buffer;
  switch (dtype) {
    case "F64":
      return new Float64Array(buffer);
    case "F32":
      return new Float32Array(buffer);
    case "F16":
    case "BF16":
      return new Uint16Array(buffer);
    case "I64":
      return new BigInt64Array(buffer);
    case "I32":
      return new Int32Array(buffer);
    case "U8":
      return bytes;
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
