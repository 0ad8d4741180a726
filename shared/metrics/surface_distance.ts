/**
 * Surface distances and the two distance metrics of the lineage, medpy's `hd95` and `asd`
 * (docs/METHOD.md section 7).
 */
import { squaredDistancesAt } from "./distance_transform.ts";
import { numpyMean, numpyPercentile } from "./numpy_stats.ts";
import { type Shape3, surfaceVoxels } from "./surface.ts";

/** Distances from each surface voxel of one mask to the other mask's surface. */
export interface SurfaceDistances {
  /** S(pred→label): one entry per surface voxel of pred, in numpy's C order of (i, j, k). */
  predToLabel: Float64Array;
  /** S(label→pred): one entry per surface voxel of label, in the same order. */
  labelToPred: Float64Array;
}

/**
 * Both directed surface distances between two non-empty binary masks of one grid.
 *
 * The distance transform runs only over the bounding box of both surfaces: every feature lies in
 * it, so distances there are exact, and it is a fraction of the volume for an organ.
 *
 * @param pred [X·Y·Z] prediction mask, i fastest (non-zero = object).
 * @param label [X·Y·Z] reference mask, same layout.
 * @param spacing voxel size along i, j, k; [1, 1, 1] gives distances in voxels.
 * @throws RangeError when either mask is empty (medpy raises too).
 */
export function surfaceDistances(
  pred: Uint8Array,
  label: Uint8Array,
  shape: Shape3,
  spacing: Shape3 = [1, 1, 1],
): SurfaceDistances {
  const predSurface = inNumpyOrder(surfaceVoxels(pred, shape), shape);
  const labelSurface = inNumpyOrder(surfaceVoxels(label, shape), shape);
  if (predSurface.length === 0) throw new RangeError("the prediction mask contains no object");
  if (labelSurface.length === 0) throw new RangeError("the label mask contains no object");
  const box = boundingBox(predSurface, labelSurface, shape);
  return {
    predToLabel: distancesToSurface(predSurface, labelSurface, box, shape, spacing),
    labelToPred: distancesToSurface(labelSurface, predSurface, box, shape, spacing),
  };
}

/** 95th percentile of both directions together (numpy "linear"), medpy's `hd95`. */
export function hd95(distances: SurfaceDistances): number {
  const all = new Float64Array(distances.predToLabel.length + distances.labelToPred.length);
  all.set(distances.predToLabel);
  all.set(distances.labelToPred, distances.predToLabel.length);
  return numpyPercentile(all, 95);
}

/** Mean of S(pred→label) only, medpy's one-directional `asd(pred, gt)` (not the symmetric ASSD). */
export function asd(distances: SurfaceDistances): number {
  return numpyMean(distances.predToLabel);
}

/** Inclusive lower and exclusive upper corner of a box of voxels. */
interface Box {
  lo: Shape3;
  hi: Shape3;
}

function boundingBox(a: Int32Array, b: Int32Array, [X, Y, Z]: Shape3): Box {
  const lo: Shape3 = [X, Y, Z];
  const hi: Shape3 = [0, 0, 0];
  const at = new Int32Array(3); // (i, j, k) of the current voxel, reused
  for (const list of [a, b]) {
    for (const v of list) {
      at[0] = v % X;
      at[1] = Math.floor(v / X) % Y;
      at[2] = Math.floor(v / (X * Y));
      for (let axis = 0; axis < 3; axis++) {
        lo[axis] = Math.min(lo[axis], at[axis]);
        hi[axis] = Math.max(hi[axis], at[axis] + 1);
      }
    }
  }
  return { lo, hi };
}

/** Euclidean distance from each `from` voxel to the nearest `to` voxel, via an EDT over `box`. */
function distancesToSurface(
  from: Int32Array,
  to: Int32Array,
  box: Box,
  shape: Shape3,
  spacing: Shape3,
): Float64Array {
  const boxShape: Shape3 = [box.hi[0] - box.lo[0], box.hi[1] - box.lo[1], box.hi[2] - box.lo[2]];
  const features = new Uint8Array(boxShape[0] * boxShape[1] * boxShape[2]);
  for (const v of indicesInBox(to, box, shape)) features[v] = 1;
  const squared = squaredDistancesAt(features, boxShape, spacing, indicesInBox(from, box, shape));
  return squared.map(Math.sqrt);
}

/** Linear indices of a grid of `shape` re-expressed in the grid of the sub-box `box`. */
function indicesInBox(voxels: Int32Array, { lo, hi }: Box, [X, Y]: Shape3): Int32Array {
  const bx = hi[0] - lo[0], by = hi[1] - lo[1];
  return voxels.map((v) => {
    const i = v % X, j = Math.floor(v / X) % Y, k = Math.floor(v / (X * Y));
    return (i - lo[0]) + bx * ((j - lo[1]) + by * (k - lo[2]));
  });
}

/**
 * Reorders voxel indices to numpy's C order of an (i, j, k) array (k fastest), the order in which
 * medpy's `dt[border]` lists them, so that `np.mean`'s pairwise sum sees the same sequence.
 */
function inNumpyOrder(voxels: Int32Array, [X, Y, Z]: Shape3): Int32Array {
  const keys = Float64Array.from(voxels, (v) => {
    const i = v % X, j = Math.floor(v / X) % Y, k = Math.floor(v / (X * Y));
    return (i * Y + j) * Z + k;
  }).sort();
  return Int32Array.from(keys, (key) => {
    const k = key % Z, j = Math.floor(key / Z) % Y, i = Math.floor(key / (Y * Z));
    return i + X * (j + Y * k);
  });
}
