import type { Affine, Volume, VoxelArray } from "./volume.ts";
import { invertAffine, multiplyAffines } from "./affine.ts";
import { allocateVoxels, voxelTypeOf } from "./voxel_type.ts";

/** `linear` (trilinear) for images, `nearest` for labels (keeps label values exact). */
export type Interpolation = "linear" | "nearest";

/** A target grid: a shape and its voxel-to-world affine (any {@link Volume} is one). */
export type Grid = Pick<Volume, "shape" | "affine" | "spacing"> & Partial<Pick<Volume, "source">>;

/**
 * Resamples to a new voxel size, keeping the world position of voxel (0, 0, 0) and the axis
 * directions; the new shape is `round(shape · spacing / newSpacing)` per axis (nnU-Net's rule).
 *
 * @param spacing target voxel size in mm along i, j, k
 * @returns a volume of the new shape; float32 for `linear`, the input's type for `nearest`
 */
export function resampleToSpacing(
  volume: Volume,
  spacing: [number, number, number],
  interpolation: Interpolation,
): Volume {
  const shape = volume.shape.map((n, axis) =>
    Math.max(1, Math.round((n * volume.spacing[axis]) / spacing[axis]))
  ) as [number, number, number];
  const scale: Affine = [
    [spacing[0] / volume.spacing[0], 0, 0, 0],
    [0, spacing[1] / volume.spacing[1], 0, 0],
    [0, 0, spacing[2] / volume.spacing[2], 0],
    [0, 0, 0, 1],
  ];
  const resampled = resampleToGrid(volume, {
    shape,
    spacing,
    affine: multiplyAffines(volume.affine, scale),
  }, interpolation);
  return { ...resampled, source: volume.source };
}

/**
 * Resamples onto another grid through world coordinates: each target voxel takes the value at
 * its world position in `volume` (positions outside take the nearest edge voxel). Passing the
 * scan itself as `grid` brings a prediction made on a resampled, cropped or reoriented copy back
 * to the scan's own geometry, ready to be written with the scan's header.
 *
 * Data: [C][Z][Y][X] i-fastest, channels resampled independently.
 */
export function resampleToGrid(volume: Volume, grid: Grid, interpolation: Interpolation): Volume {
  // Target voxel index -> source voxel index.
  const map = multiplyAffines(invertAffine(volume.affine), grid.affine);
  const voxels = grid.shape[0] * grid.shape[1] * grid.shape[2];
  const data = interpolation === "linear"
    ? new Float32Array(voxels * volume.channels)
    : allocateVoxels(voxelTypeOf(volume.data), voxels * volume.channels);
  const sample = interpolation === "linear" ? sampleLinear : sampleNearest;
  const [sx, sy, sz] = volume.shape;
  const sourceVoxels = sx * sy * sz;
  for (let c = 0; c < volume.channels; c++) {
    const channel = volume.data.subarray(c * sourceVoxels, (c + 1) * sourceVoxels);
    let out = c * voxels;
    for (let k = 0; k < grid.shape[2]; k++) {
      for (let j = 0; j < grid.shape[1]; j++) {
        let x = map[0][1] * j + map[0][2] * k + map[0][3];
        let y = map[1][1] * j + map[1][2] * k + map[1][3];
        let z = map[2][1] * j + map[2][2] * k + map[2][3];
        for (let i = 0; i < grid.shape[0]; i++) {
          data[out++] = sample(channel, volume.shape, x, y, z);
          x += map[0][0];
          y += map[1][0];
          z += map[2][0];
        }
      }
    }
  }
  return {
    shape: [...grid.shape],
    channels: volume.channels,
    data,
    spacing: [...grid.spacing],
    affine: grid.affine,
    source: grid.source ?? volume.source,
  };
}

function clamp(value: number, high: number): number {
  return value < 0 ? 0 : value > high ? high : value;
}

/**
 * Rounds coordinates within 1e-6 of a voxel centre onto it: composing an affine with its inverse
 * leaves errors near 1e-16, which would otherwise blend in a neighbour by that much.
 */
function snap(value: number): number {
  const nearest = Math.round(value);
  return Math.abs(value - nearest) < 1e-6 ? nearest : value;
}

function sampleNearest(
  data: VoxelArray,
  [nx, ny, nz]: [number, number, number],
  x: number,
  y: number,
  z: number,
): number {
  const i = clamp(Math.round(x), nx - 1);
  const j = clamp(Math.round(y), ny - 1);
  const k = clamp(Math.round(z), nz - 1);
  return data[i + nx * (j + ny * k)];
}

function sampleLinear(
  data: VoxelArray,
  [nx, ny, nz]: [number, number, number],
  x: number,
  y: number,
  z: number,
): number {
  const cx = clamp(snap(x), nx - 1);
  const cy = clamp(snap(y), ny - 1);
  const cz = clamp(snap(z), nz - 1);
  const i0 = Math.floor(cx);
  const j0 = Math.floor(cy);
  const k0 = Math.floor(cz);
  const fx = cx - i0;
  const fy = cy - j0;
  const fz = cz - k0;
  // Neighbours one step up, or the same voxel on the last plane.
  const di = i0 < nx - 1 ? 1 : 0;
  const dj = j0 < ny - 1 ? nx : 0;
  const dk = k0 < nz - 1 ? nx * ny : 0;
  const at = i0 + nx * (j0 + ny * k0);
  const c00 = data[at] + (data[at + di] - data[at]) * fx;
  const c10 = data[at + dj] + (data[at + dj + di] - data[at + dj]) * fx;
  const c01 = data[at + dk] + (data[at + dk + di] - data[at + dk]) * fx;
  const c11 = data[at + dk + dj] + (data[at + dk + dj + di] - data[at + dk + dj]) * fx;
  const c0 = c00 + (c10 - c00) * fy;
  const c1 = c01 + (c11 - c01) * fy;
  return c0 + (c1 - c0) * fz;
}
