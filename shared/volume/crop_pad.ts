import type { Affine, Volume } from "./volume.ts";
import { allocateVoxels, voxelTypeOf } from "./voxel_type.ts";

/** A box of voxels: `start` inclusive, `end` exclusive, along i, j, k. */
export interface VoxelBox {
  start: [number, number, number];
  end: [number, number, number];
}

/**
 * Cuts the box `[start, start + shape)` out of the volume; parts of the box outside the volume are
 * padded with `fill`. A negative `start` or a box past the far edge pads, so one call crops, pads
 * or both. The affine moves with the box, so every voxel keeps its world position and
 * `resampleToGrid(result, scan, "nearest")` puts it back.
 *
 * Data: [C][Z][Y][X] i-fastest in and out; output shape `shape`, same channels and type.
 */
export function cropOrPad(
  volume: Volume,
  start: [number, number, number],
  shape: [number, number, number],
  fill = 0,
): Volume {
  const [nx, ny, nz] = volume.shape;
  const [ox, oy, oz] = start;
  const voxels = shape[0] * shape[1] * shape[2];
  const data = allocateVoxels(voxelTypeOf(volume.data), voxels * volume.channels);
  if (fill !== 0) data.fill(fill);
  // The input range of i that lands inside the output, copied row by row.
  const iFrom = Math.max(0, ox);
  const iTo = Math.min(nx, ox + shape[0]);
  for (let c = 0; c < volume.channels; c++) {
    for (let k = 0; k < shape[2]; k++) {
      const sk = k + oz;
      if (sk < 0 || sk >= nz) continue;
      for (let j = 0; j < shape[1]; j++) {
        const sj = j + oy;
        if (sj < 0 || sj >= ny || iFrom >= iTo) continue;
        const rowIn = c * nx * ny * nz + nx * (sj + ny * sk);
        const rowOut = c * voxels + shape[0] * (j + shape[1] * k);
        data.set(volume.data.subarray(rowIn + iFrom, rowIn + iTo), rowOut + iFrom - ox);
      }
    }
  }
  return { ...volume, shape: [...shape], data, affine: shiftedAffine(volume.affine, start) };
}

/** Pads symmetrically (extra voxel at the far end) so every axis is at least `minimum` long. */
export function padToAtLeast(volume: Volume, minimum: [number, number, number], fill = 0): Volume {
  const shape = volume.shape.map((n, axis) => Math.max(n, minimum[axis])) as [
    number,
    number,
    number,
  ];
  if (shape.every((n, axis) => n === volume.shape[axis])) return volume;
  const start = shape.map((n, axis) => -Math.floor((n - volume.shape[axis]) / 2)) as [
    number,
    number,
    number,
  ];
  return cropOrPad(volume, start, shape, fill);
}

/**
 * The smallest box holding every non-zero voxel of the first channel, grown by `margin` voxels
 * per side and clipped to the volume; undefined for an empty mask.
 */
export function foregroundBox(
  mask: Volume,
  margin: [number, number, number] = [0, 0, 0],
): VoxelBox | undefined {
  const [nx, ny, nz] = mask.shape;
  const low = [nx, ny, nz];
  const high = [-1, -1, -1];
  let at = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, at++) {
        if (mask.data[at] === 0) continue;
        if (i < low[0]) low[0] = i;
        if (i > high[0]) high[0] = i;
        if (j < low[1]) low[1] = j;
        if (j > high[1]) high[1] = j;
        if (k < low[2]) low[2] = k;
        if (k > high[2]) high[2] = k;
      }
    }
  }
  if (high[0] < 0) return undefined;
  return {
    start: low.map((v, axis) => Math.max(0, v - margin[axis])) as [number, number, number],
    end: high.map((v, axis) => Math.min(mask.shape[axis], v + 1 + margin[axis])) as [
      number,
      number,
      number,
    ],
  };
}

/** The affine of a grid whose voxel (0, 0, 0) is voxel `start` of `affine`'s grid. */
function shiftedAffine(affine: Affine, start: [number, number, number]): Affine {
  const row = (r: number): [number, number, number, number] => [
    affine[r][0],
    affine[r][1],
    affine[r][2],
    affine[r][3] + affine[r][0] * start[0] + affine[r][1] * start[1] + affine[r][2] * start[2],
  ];
  return [row(0), row(1), row(2), [0, 0, 0, 1]];
}
