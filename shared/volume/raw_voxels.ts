/** Turning the raw voxel bytes of a file (any format) into a typed array in our layout. */
import type { VoxelArray, VoxelType } from "./volume.ts";
import { VOXEL_ARRAYS } from "./voxel_type.ts";

/**
 * A fresh typed array of `count` voxels of `type` starting at `offset` in `raw`, byte-swapped when
 * the file is big-endian. The caller has checked that `raw` holds them.
 */
export function voxelsFromBytes(
  raw: Uint8Array,
  offset: number,
  count: number,
  type: VoxelType,
  littleEndian: boolean,
): VoxelArray {
  const width = VOXEL_ARRAYS[type].BYTES_PER_ELEMENT;
  const start = raw.byteOffset + offset;
  const copy = raw.buffer.slice(start, start + count * width) as ArrayBuffer;
  if (!littleEndian && width > 1) byteSwapInPlace(new Uint8Array(copy), width);
  return new VOXEL_ARRAYS[type](copy);
}

function byteSwapInPlace(bytes: Uint8Array, width: number): void {
  for (let at = 0; at < bytes.length; at += width) {
    for (let lo = at, hi = at + width - 1; lo < hi; lo++, hi--) {
      const t = bytes[lo];
      bytes[lo] = bytes[hi];
      bytes[hi] = t;
    }
  }
}

/**
 * Channel-interleaved voxels (channel fastest: NRRD vectors, MetaImage multi-channel) → our
 * planar layout (channel slowest, `data[c·N + v]`).
 */
export function planarChannels(data: VoxelArray, channels: number): VoxelArray {
  if (channels === 1) return data;
  const voxels = data.length / channels;
  const out = new (data.constructor as new (n: number) => VoxelArray)(data.length);
  for (let v = 0; v < voxels; v++) {
    for (let c = 0; c < channels; c++) out[c * voxels + v] = data[v * channels + c];
  }
  return out;
}
