import type { Affine, Volume, VolumeFormat, VoxelType } from "./volume.ts";
import { axisCodes } from "./orient.ts";
import { voxelTypeOf } from "./voxel_type.ts";

/** What `llmseg info` reports about a volume. */
export interface VolumeDescription {
  path: string;
  format: VolumeFormat | "memory";
  shape: [number, number, number];
  channels: number;
  /** Voxel type stored in the file. */
  datatype: VoxelType;
  /** Voxel type in memory (float32 when the file's scl_slope scaled it). */
  memoryDatatype: VoxelType;
  spacing: [number, number, number];
  affine: Affine;
  /** Voxel axis directions, e.g. "RAS", "LPS". */
  axisCodes: string;
  /** Smallest and largest finite value of each channel. */
  range: { min: number; max: number }[];
  /** Count of NaN and infinite voxels (all channels). */
  nonFinite: number;
}

/** Summarises a volume's geometry and value range (one pass over the data). */
export function describeVolume(volume: Volume): VolumeDescription {
  const voxels = volume.shape[0] * volume.shape[1] * volume.shape[2];
  const range: { min: number; max: number }[] = [];
  let nonFinite = 0;
  for (let c = 0; c < volume.channels; c++) {
    let min = Infinity;
    let max = -Infinity;
    for (let at = c * voxels, end = at + voxels; at < end; at++) {
      const value = volume.data[at];
      if (!Number.isFinite(value)) {
        nonFinite++;
        continue;
      }
      if (value < min) min = value;
      if (value > max) max = value;
    }
    range.push({ min, max });
  }
  const memoryDatatype = voxelTypeOf(volume.data);
  return {
    path: volume.source?.path ?? "(memory)",
    format: volume.source?.format ?? "memory",
    shape: volume.shape,
    channels: volume.channels,
    datatype: volume.source?.datatype ?? memoryDatatype,
    memoryDatatype,
    spacing: volume.spacing,
    affine: volume.affine,
    axisCodes: axisCodes(volume.affine),
    range,
    nonFinite,
  };
}
