/**
 * Fused BatchNorm3d (+ ReLU) for the cpu backend (issue #4): tfjs composed batch norm from about
 * eight full-size element-wise ops forward and more backward, each a fresh array kept on the tape.
 * Here the forward is two statistics passes (mean, then squared deviations: bit-identical to
 * `tf.moments`, see {@link channelMoments}) and one normalise+affine+ReLU pass over NDHWC data, and
 * the backward the closed-form BN gradient in two passes, saving only the input (docs/METHOD.md 2.1:
 * Conv → BN → ReLU blocks). The statistics, normalise and gradient passes run natively in the
 * oneDNN shim when it is loaded, else on the engine's thread pool when one runs
 * (batch_norm_kernel.ts, the same arithmetic: identical bits), else as the JS loops here.
 *
 * The op can take the preceding conv's bias (`bias`) with the conv output before it: every pass then
 * works on `fround(x + bias[c])`, the bits tfjs's Add would give, but that tensor is never a tfjs
 * tensor, so the tape keeps no full-size pre-bias copy per conv (issue #4 memory), and the add runs
 * in the loops, as they read x, instead of the single-threaded JS Add kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { cpuStore, cpuTensor } from "./cpu_backend.ts";
import {
  activeBatchNormLoops,
  type GradCoefficients,
  momentsOnEngine,
  normalizeGradOnEngine,
  normalizeOnEngine,
} from "./batch_norm_kernel.ts";

/** Per-channel statistics of `x` viewed as `[rows, channels]`: mean and biased variance. */
export interface ChannelMoments {
  mean: Float32Array;
  variance: Float32Array;
}

/**
 * How the registered tfjs Mean kernel rounds: tfjs's stock cpu kernel divides each element by the
 * count (float32) and then sums; the engine's (`elementwise_kernels.ts`) sums and then scales.
 */
export type MeanRounding = "divide-then-sum" | "sum-then-scale";

/**
 * Per-channel mean of `x` viewed as `[rows, channels]` (`square` squares the float32 values
 * first), rounded as the registered Mean kernel would: sums in float64, voxels in order.
 */
function channelMean(
  x: Float32Array,
  center: Float32Array | undefined,
  channels: number,
  rounding: MeanRounding,
): Float32Array {
  const count = x.length / channels;
  const divide = rounding === "divide-then-sum";
  const fr = Math.fround;
  const sum = new Float64Array(channels);
  for (let r = 0; r < x.length; r += channels) {
    for (let c = 0; c < channels; c++) {
      let v = x[r + c];
      if (center) {
        const d = fr(v - center[c]);
        v = fr(d * d);
      }
      sum[c] += divide ? fr(v / count) : v;
    }
  }
  const out = new Float32Array(channels);
  for (let c = 0; c < channels; c++) out[c] = divide ? sum[c] : sum[c] * (1 / count);
  return out;
}

/**
 * `x + bias` per channel, float32 (the JS loops' input when the op has a bias; the engine adds it
 * in its own copy of x instead). Without a bias, x itself.
 */
function withBias(x: Float32Array, bias: Float32Array | undefined): Float32Array {
  if (!bias) return x;
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += bias.length) {
    for (let c = 0; c < bias.length; c++) out[r + c] = x[r + c] + bias[c];
  }
  return out;
}

/**
 * Mean and biased variance per channel of `x + bias`, bit-identical to `tf.moments` on the same
 * kernels: the mean, then the mean of the float32 squared deviations (two passes over x).
 * Exactness matters here: a one-ulp change of the statistics moves which voxels sit just above
 * zero before a ReLU, and the PyTorch parity fixtures have such voxels.
 */
export function channelMoments(
  x: Float32Array,
  bias: Float32Array | undefined,
  channels: number,
  rounding: MeanRounding,
): ChannelMoments {
  const loops = activeBatchNormLoops();
  if (loops) return momentsOnEngine(loops, x, bias, channels, rounding === "divide-then-sum");
  const xb = withBias(x, bias);
  const mean = channelMean(xb, undefined, channels, rounding);
  return { mean, variance: channelMean(xb, mean, channels, rounding) };
}

/** `1/sqrt(variance + eps)` rounded to float32, as tfjs's Add then Rsqrt kernels give it. */
export function inverseStd(variance: Float32Array, eps: number): Float32Array {
  const out = new Float32Array(variance.length);
  for (let c = 0; c < variance.length; c++) out[c] = 1 / Math.sqrt(Math.fround(variance[c] + eps));
  return out;
}

/**
 * `y = ((x − mean)·invStd)·γ + β`, then `max(0, y)` when `relu`, every step rounded to float32 in
 * the composed ops' order, so the result is bit-identical to the tf-op composition (JS loop; the
 * engine's bn_forward does the same).
 */
function normalizeAffine(
  x: Float32Array,
  mean: Float32Array,
  invStd: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  relu: boolean,
): Float32Array {
  const channels = mean.length;
  const out = new Float32Array(x.length);
  const fr = Math.fround;
  for (let r = 0; r < x.length; r += channels) {
    for (let c = 0; c < channels; c++) {
      const y = fr(fr(fr(fr(x[r + c] - mean[c]) * invStd[c]) * gamma[c]) + beta[c]);
      out[r + c] = relu && y < 0 ? 0 : y;
    }
  }
  return out;
}

/**
 * Closed-form gradient of {@link normalizeAffine}. With `y` the ReLU's output (undefined without
 * ReLU), `g = dy·[y>0]` (or `dy`), `x̂ = (x−mean)·invStd`, per channel: dβ = Σg, dγ = Σg·x̂, and
 * dx = γ·invStd·(g − (Σg + x̂·Σg·x̂)/N) with batch statistics (`batchStats`), or γ·invStd·g with
 * fixed (running) ones; x here is `x + bias` (dx is also the gradient of x before the bias).
 * Pass 1 gathers the sums, pass 2 writes dx; natively or on the engine's thread pool when they run
 * (batch_norm.c, the same float64 arithmetic), else here.
 */
function normalizeAffineGrad(
  dy: Float32Array,
  x: Float32Array,
  bias: Float32Array | undefined,
  y: Float32Array | undefined,
  mean: Float32Array,
  invStd: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  batchStats: boolean,
): { dx: Float32Array; dGamma: Float32Array; dBeta: Float32Array } {
  const channels = mean.length;
  const count = x.length / channels;
  const coefficients = (sumG: Float64Array, sumGXhat: Float64Array): GradCoefficients => {
    const scale = new Float64Array(channels); // γ·invStd
    const meanG = new Float64Array(channels); // Σg/N (0 with fixed statistics)
    const meanGXhat = new Float64Array(channels); // Σg·x̂/N (idem)
    for (let c = 0; c < channels; c++) {
      scale[c] = gamma[c] * invStd[c];
      if (batchStats) {
        meanG[c] = sumG[c] / count;
        meanGXhat[c] = sumGXhat[c] / count;
      }
    }
    return { scale, meanG, meanGXhat };
  };
  const loops = activeBatchNormLoops();
  const { dx, sumG, sumGXhat } = loops
    ? normalizeGradOnEngine(
      loops,
      dy,
      x,
      bias,
      mean,
      invStd,
      gamma,
      beta,
      y !== undefined,
      coefficients,
    )
    : normalizeGradInJs(dy, withBias(x, bias), y, mean, invStd, coefficients);
  return { dx, dGamma: Float32Array.from(sumGXhat), dBeta: Float32Array.from(sumG) };
}

/** The two passes of {@link normalizeAffineGrad} in JS (no engine running). */
function normalizeGradInJs(
  dy: Float32Array,
  x: Float32Array,
  y: Float32Array | undefined,
  mean: Float32Array,
  invStd: Float32Array,
  coefficients: (sumG: Float64Array, sumGXhat: Float64Array) => GradCoefficients,
): { dx: Float32Array; sumG: Float64Array; sumGXhat: Float64Array } {
  const channels = mean.length;
  const sumG = new Float64Array(channels);
  const sumGXhat = new Float64Array(channels);
  for (let r = 0; r < x.length; r += channels) {
    for (let c = 0; c < channels; c++) {
      const xhat = (x[r + c] - mean[c]) * invStd[c];
      const g = y === undefined || y[r + c] > 0 ? dy[r + c] : 0;
      sumG[c] += g;
      sumGXhat[c] += g * xhat;
    }
  }
  const { scale, meanG, meanGXhat } = coefficients(sumG, sumGXhat);
  const dx = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += channels) {
    for (let c = 0; c < channels; c++) {
      const xhat = (x[r + c] - mean[c]) * invStd[c];
      const g = y === undefined || y[r + c] > 0 ? dy[r + c] : 0;
      dx[r + c] = scale[c] * (g - meanG[c] - xhat * meanGXhat[c]);
    }
  }
  return { dx, sumG, sumGXhat };
}

/** Statistics the fused op normalises with. */
export interface NormStatistics {
  mean: Float32Array;
  /** `1/sqrt(variance + eps)` per channel. */
  invStd: Float32Array;
  /** True when they are this batch's (their gradient flows into x), false for running ones. */
  fromBatch: boolean;
}

/**
 * Fused (bias +) batch norm (+ ReLU) on the cpu backend: `x [N, X, Y, Z, C]`, `gamma`, `beta` and
 * the optional `bias` `[C]` → `[N, X, Y, Z, C]`, normalising `x + bias` (stats are its statistics),
 * differentiable in x, γ, β and the bias via `tf.customGrad`; the tape keeps x, γ and the output
 * only. Requires `tf.getBackend() === "cpu"` and float32 tensors (callers fall back to tf ops
 * otherwise).
 */
export function fusedBatchNormRelu(
  x: tf.Tensor5D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  stats: NormStatistics,
  relu: boolean,
  bias?: tf.Tensor1D,
): tf.Tensor5D {
  const inputs = bias ? [x, gamma, beta, bias] : [x, gamma, beta];
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, gammaIn, betaIn, biasIn] = args.slice(0, inputs.length) as tf.Tensor[];
    const [xv, gv, bv] = [xIn, gammaIn, betaIn].map(cpuStore);
    const biasValues = biasIn && cpuStore(biasIn);
    const loops = activeBatchNormLoops();
    const value = cpuTensor(
      loops
        ? normalizeOnEngine(loops, xv, biasValues, stats.mean, stats.invStd, gv, bv, relu)
        : normalizeAffine(withBias(xv, biasValues), stats.mean, stats.invStd, gv, bv, relu),
      x.shape,
    );
    // The output gives the ReLU mask, and the next conv keeps it anyway: saving it costs nothing.
    (args[inputs.length] as tf.GradSaveFunc)(relu ? [xIn, gammaIn, value] : [xIn, gammaIn]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gs, ys] = saved.map(cpuStore);
        const grads = normalizeAffineGrad(
          cpuStore(dy),
          xs,
          biasValues,
          ys,
          stats.mean,
          stats.invStd,
          gs,
          bv,
          stats.fromBatch,
        );
        const dx = cpuTensor(grads.dx, x.shape);
        const result = [
          dx,
          cpuTensor(grads.dGamma, gamma.shape),
          cpuTensor(grads.dBeta, beta.shape),
        ];
        // d(x + b)/db reduces dx over the voxels: the same Sum tfjs's Add gradient would run.
        return bias ? [...result, tf.reshape(tf.sum(dx, [0, 1, 2, 3]), bias.shape)] : result;
      },
    };
  });
  return op(...inputs) as tf.Tensor5D;
}

/** Whether {@link fusedBatchNormRelu} can run on these tensors now. */
export function canFuseBatchNorm(x: tf.Tensor): boolean {
  return tf.getBackend() === "cpu" && x.dtype === "float32" && x.rank === 5;
}
