import { volumeError } from "./limits.ts";

/** True when `bytes` starts with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Most trailing bytes inflated past the declared size to reach the gzip checksum. */
const TAIL_LIMIT = 1024 ** 2;

/**
 * Inflates at most `count` bytes of a gzip stream with the runtime's native decoder.
 *
 * Callers pass the size the file's header declares (already checked against the limits), so a gzip
 * bomb never inflates far past it. With `checkTail`, reading goes on to the end of the stream (at
 * most 1 MiB more, discarded) so the decoder verifies the CRC and damaged data is refused. The
 * result is shorter than `count` when the stream ends early; the caller reports that as truncation.
 */
export async function gunzipUpTo(
  bytes: Uint8Array,
  name: string,
  count: number,
  checkTail = false,
): Promise<Uint8Array> {
  const out = new Uint8Array(count);
  let filled = 0;
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip")).getReader();
  try {
    while (filled < count) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.length, count - filled);
      out.set(take === value.length ? value : value.subarray(0, take), filled);
      filled += take;
    }
    for (let tail = 0; checkTail && filled === count && tail <= TAIL_LIMIT;) {
      const { done, value } = await reader.read();
      if (done) break;
      tail += value.length;
    }
  } catch (error) {
    // A truncated or corrupt stream: report what was inflated so far as the problem's context.
    throw volumeError(
      name,
      `corrupt or truncated gzip data after ${filled} inflated bytes (${(error as Error).message})`,
    );
  } finally {
    await reader.cancel().catch(() => {});
  }
  return filled === count ? out : out.subarray(0, filled);
}

/**
 * The first `count` inflated bytes (fewer when the stream is shorter), inflating only a prefix of
 * the compressed input: enough for a NIfTI header without decompressing the voxel data.
 */
export async function gunzipPrefix(
  bytes: Uint8Array,
  name: string,
  count: number,
): Promise<Uint8Array> {
  // 64 KiB of deflate input always inflates to more than a header, unless the gzip header itself
  // carries huge optional fields: then fall back to the whole input.
  const head = await gunzipUpTo(bytes.subarray(0, 64 * 1024), name, count).catch(() => undefined);
  return head && head.length === count ? head : await gunzipUpTo(bytes, name, count);
}
