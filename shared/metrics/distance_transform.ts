/**
 * Exact Euclidean distance transform, separable and linear-time (Felzenszwalb & Huttenlocher,
 * "Distance Transforms of Sampled Functions", Theory of Computing 8, 2012). It gives the same
 * distances as scipy's `distance_transform_edt` (docs/METHOD.md section 7, step 5).
 *
 * Pass order keeps memory access contiguous: a plane-by-plane scan along k (the 1-D distance to
 * the nearest feature), parabola envelopes along j within each k plane, then envelopes along the
 * contiguous i rows, which can be limited to the rows whose values are wanted.
 */
import type { Shape3 } from "./surface.ts";

/**
 * Squared distance, in units of `spacing`, from every voxel of a flat i-fastest grid of `shape`
 * to the nearest voxel where `features` is non-zero; Infinity everywhere when there is none.
 *
 * @param features [X·Y·Z] 1 at feature voxels (the distance-0 set), 0 elsewhere.
 * @param spacing voxel size along i, j, k (scipy's `sampling`).
 * @returns [X·Y·Z] squared distances, float64.
 */
export function squaredDistanceTransform(
  features: Uint8Array,
  shape: Shape3,
  spacing: Shape3,
): Float64Array {
  const [X, Y, Z] = shape;
  const grid = partialTransform(features, shape, spacing);
  const scratch = envelopeScratch(X);
  for (let row = 0; row < Y * Z; row++) envelopeAlong(grid, row * X, 1, X, spacing[0], scratch);
  return grid;
}

/**
 * The same squared distances as {@link squaredDistanceTransform}, only at the given voxels; the
 * last pass then runs on their rows alone, which is most of the saving for a surface.
 *
 * @param voxels linear indices `i + j·X + k·X·Y` into the grid.
 * @returns one squared distance per entry of `voxels`.
 */
export function squaredDistancesAt(
  features: Uint8Array,
  shape: Shape3,
  spacing: Shape3,
  voxels: Int32Array,
): Float64Array {
  const [X, Y, Z] = shape;
  const grid = partialTransform(features, shape, spacing);
  const wanted = new Uint8Array(Y * Z);
  for (const v of voxels) wanted[Math.floor(v / X)] = 1;
  const scratch = envelopeScratch(X);
  for (let row = 0; row < Y * Z; row++) {
    if (wanted[row]) envelopeAlong(grid, row * X, 1, X, spacing[0], scratch);
  }
  return Float64Array.from(voxels, (v) => grid[v]);
}

/** Passes along k and j: squared distance to the nearest feature within each i = const plane. */
function partialTransform(features: Uint8Array, shape: Shape3, spacing: Shape3): Float64Array {
  const [X, Y, Z] = shape;
  const plane = X * Y;
  const grid = new Float64Array(plane * Z);
  // Along k, plane by plane: gap (in voxels) to the nearest feature below, then above.
  for (let v = 0; v < plane; v++) grid[v] = features[v] !== 0 ? 0 : Infinity;
  for (let v = plane; v < plane * Z; v++) grid[v] = features[v] !== 0 ? 0 : grid[v - plane] + 1;
  for (let v = plane * (Z - 1) - 1; v >= 0; v--) grid[v] = Math.min(grid[v], grid[v + plane] + 1);
  const w2 = spacing[2] * spacing[2];
  for (let v = 0; v < plane * Z; v++) grid[v] = grid[v] * grid[v] * w2;
  const scratch = envelopeScratch(Y);
  for (let k = 0; k < Z; k++) {
    for (let i = 0; i < X; i++) envelopeAlong(grid, i + k * plane, X, Y, spacing[1], scratch);
  }
  return grid;
}

/** Reused per-line buffers: values f, result d, parabola vertices v, boundaries z. */
interface EnvelopeScratch {
  f: Float64Array;
  d: Float64Array;
  v: Int32Array;
  z: Float64Array;
}

function envelopeScratch(length: number): EnvelopeScratch {
  return {
    f: new Float64Array(length),
    d: new Float64Array(length),
    v: new Int32Array(length),
    z: new Float64Array(length + 1),
  };
}

/**
 * One 1-D pass: replaces the n values at `start + q·stride` by `min_p f(p) + (step·(q − p))²`,
 * the lower envelope of parabolas rooted at the finite values.
 */
function envelopeAlong(
  grid: Float64Array,
  start: number,
  stride: number,
  n: number,
  step: number,
  { f, d, v, z }: EnvelopeScratch,
): void {
  const w2 = step * step;
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = grid[start + q * stride];
    f[q] = fq;
    if (fq === Infinity) continue;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    let s: number;
    for (;;) {
      const p = v[k];
      s = (fq + w2 * q * q - (f[p] + w2 * p * p)) / (2 * w2 * (q - p));
      // z[0] is -Infinity, so the first parabola is never removed.
      if (s > z[k]) break;
      k--;
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  if (k < 0) return; // no finite value on this line: it stays Infinity
  for (let q = 0, j = 0; q < n; q++) {
    while (z[j + 1] < q) j++;
    const gap = q - v[j];
    d[q] = w2 * gap * gap + f[v[j]];
  }
  for (let q = 0; q < n; q++) grid[start + q * stride] = d[q];
}
