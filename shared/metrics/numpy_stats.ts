/**
 * numpy's own summation and percentile algorithms, so that our metrics agree with the lineage's
 * `np.mean` / `np.percentile` to the last bit, not just to rounding noise (docs/METHOD.md section 7).
 */

/** numpy's unrolled block size for pairwise summation (`PW_BLOCKSIZE`). */
const PAIRWISE_BLOCK = 128;

/**
 * Sum of `values[start, start + n)` exactly as numpy's `pairwise_sum` adds float64 (8 running
 * partial sums per block of at most 128, recursive halving above), which is what `np.sum`/`np.mean`
 * do on a contiguous array.
 */
export function pairwiseSum(values: ArrayLike<number>, start = 0, n = values.length): number {
  if (n < 8) {
    let sum = 0;
    for (let i = start; i < start + n; i++) sum += values[i];
    return sum;
  }
  if (n <= PAIRWISE_BLOCK) {
    const r = new Float64Array(8);
    for (let j = 0; j < 8; j++) r[j] = values[start + j];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] += values[start + i + j];
    }
    let sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) sum += values[start + i];
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(values, start, half) + pairwiseSum(values, start + half, n - half);
}

/** numpy's default ufunc buffer size: a reduction adds its input chunk by chunk of this many. */
const REDUCE_CHUNK = 8192;

/** `np.mean(values)` (pairwise sums of 8192-value chunks, then one division); NaN when empty. */
export function numpyMean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let start = 0; start < values.length; start += REDUCE_CHUNK) {
    sum += pairwiseSum(values, start, Math.min(REDUCE_CHUNK, values.length - start));
  }
  return sum / values.length;
}

/**
 * `np.percentile(values, q)` with the default "linear" method: on the sorted values v (n of
 * them), `h = (n − 1)·q/100`, `i = floor(h)`, `g = h − i`, and numpy's two-sided lerp
 * (`v[i+1] − (v[i+1] − v[i])·(1 − g)` when `g ≥ 0.5`) for bit-exactness (docs/METHOD.md section 7).
 * Does not modify `values`.
 */
export function numpyPercentile(values: Float64Array, q: number): number {
  const n = values.length;
  if (n === 0) throw new RangeError("percentile of an empty array");
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile ${q} is outside [0, 100]`);
  const sorted = values.slice().sort();
  const h = (n - 1) * (q / 100);
  const below = Math.floor(h);
  const above = Math.min(below + 1, n - 1);
  const g = h - below;
  const a = sorted[below];
  const b = sorted[above];
  const diff = b - a;
  return g >= 0.5 ? b - diff * (1 - g) : a + diff * g;
}
