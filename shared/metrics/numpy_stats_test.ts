import assert from "node:assert/strict";
import { numpyMean, numpyPercentile } from "./numpy_stats.ts";

function roots(n: number, divisor: number): Float64Array {
  return Float64Array.from({ length: n }, (_, k) => Math.sqrt(k + 1) / divisor);
}

// Expected values printed by numpy 1.24 (/usr/bin/python3):
//   v = np.sqrt(np.arange(1, n + 1, dtype=np.float64)) / d; np.mean(v), np.percentile(v, 95)
// These n, d are ones where a naive left-to-right sum (or one pairwise sum over more than 8192
// values) gives a different last bit.
Deno.test("numpyMean reproduces np.mean's pairwise summation bit for bit", () => {
  assert.equal(numpyMean(roots(100, 7)), 0.9592327815759252);
  assert.equal(numpyMean(roots(1000, 7)), 3.013922269640105);
  assert.equal(numpyMean(roots(5000, 3)), 15.715827229173723);
  // Above 8192 values numpy adds chunk by chunk (its ufunc buffer size).
  assert.equal(numpyMean(roots(10000, 3)), 22.223881973236946);
  assert.equal(numpyMean(roots(20000, 7)), 13.46920418750463);
  assert.equal(numpyMean(roots(50000, 3)), 49.69114347132191);
});

Deno.test("numpyPercentile reproduces np.percentile's linear method", () => {
  assert.equal(numpyPercentile(roots(100, 7), 95), 1.3927646537321643);
  assert.equal(numpyPercentile(roots(1000, 7), 95), 4.40326870123051);
  // v = np.sqrt(np.arange(1, 1001)) / 3: np.percentile(v[:37], 95), np.percentile(v[:37], 37.5)
  const v = roots(1000, 3).slice(0, 37).reverse(); // unsorted input must not matter
  assert.equal(numpyPercentile(v, 95), 1.9776212754932307);
  assert.equal(numpyPercentile(v, 37.5), 1.2691067888302263);
  assert.equal(v[0], Math.sqrt(37) / 3, "the input is left as it was");
});

Deno.test("numpyPercentile rejects empty input and out-of-range q", () => {
  assert.throws(() => numpyPercentile(new Float64Array(0), 95), RangeError);
  assert.throws(() => numpyPercentile(roots(5, 1), 101), RangeError);
});
