/**
 * Exact Euclidean distance transform, separable and linear-time (Felzenszwalb & Huttenlocher,
 * "Distance Transforms of Sampled Functions", Theory of Computing 8, 2012). It gives the same
 * distances as scipy's `distance_transform_edt` (METHOD.md section 7, step 5).
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
  const out = new Float64Array(X * Y * Z);
  distanceAlongI(features, shape, spacing[0], out);
  const longest = Math.max(Y, Z);
  const scratch: EnvelopeScratch = {
    f: new Float64Array(longest),
    d: new Float64Array(longest),
    v: new Int32Array(longest),
    z: new Float64Array(longest + 1),
  };
  for (let k = 0; k < Z; k++) {
    for (let i = 0; i < X; i++) envelopeAlong(out, i + k * X * Y, X, Y, spacing[1], scratch);
  }
  for (let j = 0; j < Y; j++) {
    for (let i = 0; i < X; i++) envelopeAlong(out, i + j * X, X * Y, Z, spacing[2], scratch);
  }
  return out;
}

/** First pass: along each i-line a 1-D distance is just the gap to the nearest feature. */
function distanceAlongI(features: Uint8Array, shape: Shape3, step: number, out: Float64Array) {
  const [X, Y, Z] = shape;
  for (let base = 0; base < X * Y * Z; base += X) {
    let last = -Infinity;
    for (let i = 0; i < X; i++) {
      if (features[base + i] !== 0) last = i;
      out[base + i] = i - last;
    }
    let next = Infinity;
    for (let i = X - 1; i >= 0; i--) {
      if (features[base + i] !== 0) next = i;
      const gap = Math.min(out[base + i], next - i) * step;
      out[base + i] = gap * gap;
    }
  }
}

/** Reused per-line buffers: values f, result d, parabola vertices v, boundaries z. */
interface EnvelopeScratch {
  f: Float64Array;
  d: Float64Array;
  v: Int32Array;
  z: Float64Array;
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
  if (k < 0) return; // no feature on this line or any line crossing it: stays Infinity
  for (let q = 0, j = 0; q < n; q++) {
    while (z[j + 1] < q) j++;
    const gap = q - v[j];
    d[q] = w2 * gap * gap + f[v[j]];
  }
  for (let q = 0; q < n; q++) grid[start + q * stride] = d[q];
}
