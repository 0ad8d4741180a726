import zlib from "node:zlib";
import { formatBytes, volumeError } from "./limits.ts";

/** True when `bytes` starts with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Most bytes a stream may inflate past the size its header declares (padding, odd writers). */
const TAIL_LIMIT = 1024 ** 2;

/**
 * Inflates a whole gzip stream (every member, checksums verified) with the runtime's native zlib,
 * refusing to produce more than the `declared` size plus 1 MiB: a gzip bomb stops there instead of
 * filling memory. Callers pass the size the file's header declares, already checked against the
 * limits. The result is shorter than `declared` when the data is; the caller reports that.
 *
 * @throws UserError naming the file for a truncated, corrupt or oversized stream
 */
export function gunzipDeclared(bytes: Uint8Array, name: string, declared: number): Uint8Array {
  return inflateDeclared(bytes, name, declared, "gzip");
}

/**
 * {@link gunzipDeclared} for either wrapper: `gzip` (NIfTI, NRRD) or `zlib` (MetaImage's
 * `CompressedData = True`).
 */
export function inflateDeclared(
  bytes: Uint8Array,
  name: string,
  declared: number,
  wrapper: "gzip" | "zlib",
): Uint8Array {
  const inflate = wrapper === "gzip" ? zlib.gunzipSync : zlib.inflateSync;
  try {
    return inflate(bytes, { maxOutputLength: declared + TAIL_LIMIT });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_BUFFER_TOO_LARGE") {
      throw volumeError(
        name,
        `${wrapper} data inflates to more than the ${
          formatBytes(declared)
        } its header declares; refused`,
      );
    }
    const problem = code === "Z_BUF_ERROR" ? "truncated" : "corrupt";
    throw volumeError(name, `${problem} ${wrapper} data (${(error as Error).message})`);
  }
}

/**
 * The first `count` inflated bytes (fewer when the stream is shorter), inflating only the start of
 * the compressed input: enough for a NIfTI header without decompressing the voxel data.
 */
export function gunzipPrefix(bytes: Uint8Array, name: string, count: number): Uint8Array {
  // 4 KiB of deflate input inflates to at most ~4 MiB yet always holds a header, unless the gzip
  // header itself carries long optional fields: then try a larger prefix.
  for (const input of [4 * 1024, 256 * 1024]) {
    let out: Uint8Array;
    try {
      out = zlib.gunzipSync(bytes.subarray(0, input), {
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
        maxOutputLength: 1024 * input + count,
      });
    } catch (error) {
      throw volumeError(name, `corrupt gzip data (${(error as Error).message})`);
    }
    if (out.length >= count || input >= bytes.length) return out.subarray(0, count);
  }
  throw volumeError(name, "no NIfTI header within the first 256 KiB of gzip data");
}
