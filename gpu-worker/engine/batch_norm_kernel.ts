/**
 * The fused batch norm's loops (batch_norm_relu.ts) on the engine: kernels/batch_norm.c on the
 * thread pool, with the same arithmetic as the JS loops, so the two give identical bits. Each call
 * copies its tensors into the arena once, works in place there, and copies the result out once.
 * With a `bias` (the preceding conv's, not yet added), x's arena copy gets it first (bn_add_bias).
 */
import type { CpuEngine } from "./cpu_engine.ts";
import type { Region } from "./wasm_arena.ts";

/** Pointers of the C `BatchNorm` struct, in its field order after voxels, channels and relu. */
interface Pointers {
  x: Region;
  dy?: Region;
  /** mean[, inv_std, gamma, neg_beta]: `channels` floats each, one after another. */
  stats: Region;
  /** sum_g, sum_gxhat: `channels` doubles each. */
  sums?: Region;
  /** scale, mean_g, mean_gxhat: `channels` doubles each. */
  coefficients?: Region;
  /** bn_moments: variance out (mean out is the stats' first row). */
  variance?: Region;
  /** bn_moments: divide each term by N before summing. */
  divide?: boolean;
  /** bn_add_bias: `channels` floats. */
  bias?: Region;
}

function putParams(engine: CpuEngine, channels: number, relu: boolean, q: Pointers): Region {
  const voxels = q.x.length / channels;
  const f32 = (r: Region | undefined, i: number) => (r ? r.ptr + 4 * i * channels : 0);
  const f64 = (r: Region | undefined, i: number) => (r ? r.ptr + 8 * i * channels : 0);
  return engine.arena.putInts([
    voxels,
    channels,
    relu ? 1 : 0,
    q.x.ptr,
    q.dy?.ptr ?? 0,
    ...[0, 1, 2, 3].map((i) => (i < q.stats.length / channels ? f32(q.stats, i) : 0)),
    ...[0, 1].map((i) => f64(q.sums, i)),
    ...[0, 1, 2].map((i) => f64(q.coefficients, i)),
    q.variance?.ptr ?? 0,
    q.divide ? 1 : 0,
    q.bias?.ptr ?? 0,
  ]);
}

/** The params of `q`, after adding `q.bias` (when given) to x's arena copy. */
function prepare(engine: CpuEngine, channels: number, relu: boolean, q: Pointers): Region {
  const p = putParams(engine, channels, relu, q);
  if (q.bias) engine.run("bn_add_bias", [p.ptr]);
  return p;
}

function putStats(engine: CpuEngine, perChannel: Float32Array[]): Region {
  const channels = perChannel[0].length;
  const region = engine.arena.alloc(perChannel.length * channels);
  const view = engine.arena.f32(region);
  perChannel.forEach((values, i) => view.set(values, i * channels));
  return region;
}

/** Per-channel mean and biased variance: batch_norm_relu.ts's channelMoments loops. */
export function momentsOnEngine(
  engine: CpuEngine,
  x: Float32Array,
  bias: Float32Array | undefined,
  channels: number,
  divide: boolean,
): { mean: Float32Array; variance: Float32Array } {
  return engine.arena.scope(() => {
    const a = engine.arena;
    const q: Pointers = {
      x: a.put(x),
      stats: a.alloc(channels),
      variance: a.alloc(channels),
      sums: a.alloc(2 * channels),
      divide,
      bias: bias && a.put(bias),
    };
    engine.run("bn_moments", [prepare(engine, channels, false, q).ptr]);
    return { mean: a.take(q.stats), variance: a.take(q.variance!) };
  });
}

/** `((x − mean)·invStd)·γ + β`, then ReLU when `relu`: batch_norm_relu.ts's forward loop. */
export function normalizeOnEngine(
  engine: CpuEngine,
  x: Float32Array,
  bias: Float32Array | undefined,
  mean: Float32Array,
  invStd: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  relu: boolean,
): Float32Array {
  return engine.arena.scope(() => {
    const xr = engine.arena.put(x);
    const stats = putStats(engine, [mean, invStd, gamma, beta.map((b) => -b)]);
    const p = prepare(engine, mean.length, relu, {
      x: xr,
      stats,
      bias: bias && engine.arena.put(bias),
    });
    engine.run("bn_forward", [p.ptr]);
    return engine.arena.take(xr);
  });
}

/** Per-channel coefficients of the gradient's second pass (see batch_norm_relu.ts). */
export interface GradCoefficients {
  scale: Float64Array;
  meanG: Float64Array;
  meanGXhat: Float64Array;
}

/**
 * The two gradient passes of batch_norm_relu.ts on the engine: the per-channel sums Σg and Σg·x̂,
 * `coefficients` from them (computed by the caller, in JS), then dx. The ReLU mask is recomputed
 * from x, γ and β (the forward's arithmetic), so the op's output need not be copied in.
 */
export function normalizeGradOnEngine(
  engine: CpuEngine,
  dy: Float32Array,
  x: Float32Array,
  bias: Float32Array | undefined,
  mean: Float32Array,
  invStd: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  relu: boolean,
  coefficients: (sumG: Float64Array, sumGXhat: Float64Array) => GradCoefficients,
): { dx: Float32Array; sumG: Float64Array; sumGXhat: Float64Array } {
  return engine.arena.scope(() => {
    const a = engine.arena;
    const channels = mean.length;
    const q: Pointers = {
      x: a.put(x),
      dy: a.put(dy),
      stats: putStats(engine, [mean, invStd, gamma, beta.map((b) => -b)]),
      sums: a.alloc(2 * 2 * channels),
      coefficients: a.alloc(3 * 2 * channels),
      bias: bias && a.put(bias),
    };
    const p = prepare(engine, channels, relu, q);
    engine.run("bn_grad_sums", [p.ptr]);
    const sums = a.f64(q.sums!);
    const sumG = sums.slice(0, channels), sumGXhat = sums.slice(channels);
    const c = coefficients(sumG, sumGXhat);
    const view = a.f64(q.coefficients!);
    [c.scale, c.meanG, c.meanGXhat].forEach((values, i) => view.set(values, i * channels));
    engine.run("bn_grad_dx", [p.ptr]);
    return { dx: a.take(q.dy!), sumG, sumGXhat };
  });
}
