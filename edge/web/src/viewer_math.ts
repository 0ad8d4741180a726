/** Voxel arithmetic the viewer needs: where the mask is, and how it compares with a label. */
import { dice, jaccard } from "../../../shared/metrics/overlap.ts";

/** Any typed array NiiVue hands out as a volume's voxels (native i-fastest order). */
export type Voxels = ArrayLike<number>;

/** Mean voxel index [i, j, k] of the non-zero voxels of an i-fastest `dims` volume; none: undefined. */
export function maskCentroid(voxels: Voxels, dims: [number, number, number]): number[] | undefined {
  const [nx, ny] = dims;
  let count = 0, si = 0, sj = 0, sk = 0;
  for (let v = 0; v < voxels.length; v++) {
    if (voxels[v] === 0) continue;
    count++;
    si += v % nx;
    sj += Math.floor(v / nx) % ny;
    sk += Math.floor(v / (nx * ny));
  }
  return count ? [si / count, sj / count, sk / count] : undefined;
}

/**
 * The object voxel [i, j, k] nearest to the object's centroid: unlike the centroid itself it is
 * always inside the object, so three planes through it all cut the structure.
 */
export function maskCentre(voxels: Voxels, dims: [number, number, number]): number[] | undefined {
  const centroid = maskCentroid(voxels, dims);
  if (!centroid) return undefined;
  const [nx, ny] = dims;
  let best: number[] = [];
  let bestDistance = Infinity;
  for (let v = 0; v < voxels.length; v++) {
    if (voxels[v] === 0) continue;
    const ijk = [v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny))];
    const distance = ijk.reduce((sum, x, axis) => sum + (x - centroid[axis]) ** 2, 0);
    if (distance < bestDistance) [best, bestDistance] = [ijk, distance];
  }
  return best;
}

/** Millimetre position of voxel `ijk` under a 4×4 row-major affine (NIfTI sform/qform). */
export function voxelToMm(affine: number[][], ijk: number[]): [number, number, number] {
  const [i, j, k] = ijk;
  const row = (r: number): number =>
    affine[r][0] * i + affine[r][1] * j + affine[r][2] * k + affine[r][3];
  return [row(0), row(1), row(2)];
}

/** Agreement of a predicted mask with a label, both non-zero = object (docs/METHOD.md section 7). */
export interface OverlapReport {
  dice: number;
  jaccard: number;
  predictedMl: number;
  labelMl: number;
}

/** Dice, Jaccard and both volumes in millilitres; `voxelMm3` is the volume of one voxel. */
export function overlapReport(mask: Voxels, label: Voxels, voxelMm3: number): OverlapReport {
  const binary = (v: Voxels): Uint8Array => Uint8Array.from(v, (x) => (x !== 0 ? 1 : 0));
  const pred = binary(mask);
  const truth = binary(label);
  const count = (a: Uint8Array): number => a.reduce((s, x) => s + x, 0);
  return {
    dice: dice(pred, truth),
    jaccard: jaccard(pred, truth),
    predictedMl: (count(pred) * voxelMm3) / 1000,
    labelMl: (count(truth) * voxelMm3) / 1000,
  };
}
