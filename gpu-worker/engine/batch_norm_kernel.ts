/**
 * The fused batch norm's loops (batch_norm_relu.ts) off the JS thread: kernels/batch_norm.c, with
 * the same arithmetic as the JS loops, so all give identical bits. Where the oneDNN shim is loaded
 * (issue #13) its native build runs on the tensors' own arrays and writes a forward's output or
 * a backward's dx into a fresh array: no copies. Otherwise the WebAssembly build runs on the thread
 * pool: each call copies its tensors into the arena once and the result out once. With a `bias` (the preceding conv's, not yet added), every loop adds it to x as
 * it reads it (the bits of tfjs's Add): x + bias is never stored.
 */
import type { CpuEngine } from "./cpu_engine.ts";
import type { OneDnn } from "./onednn/library.ts";
import { activeEngine, activeOneDnn } from "./register.ts";
import type { Region } from "./wasm_arena.ts";

/** Where the loops run. */
export type BatchNormLoops = { native: OneDnn } | { engine: CpuEngine };

/** The shim when the registered kernels run on it, else the engine's pool; none without engine. */
export function activeBatchNormLoops(): BatchNormLoops | undefined {
  const native = activeOneDnn();
  if (native) return { native };
  const engine = activeEngine();
  return engine && { engine };
}

/** batch_norm.c's loops; the index is batch_norm_native.c's BN_* number. */
const LOOPS = ["bn_moments", "bn_forward", "bn_grad_sums", "bn_grad_dx"] as const;
type Loop = typeof LOOPS[number];

/** The arrays of the C `BatchNorm` struct (batch_norm.c) one call uses. */
interface Arrays {
  /** The op's input (before its bias). */
  x: Float32Array;
  /** Backward: the incoming gradient. */
  dy?: Float32Array;
  /** mean[, inv_std, gamma, neg_beta]: `channels` floats each (bn_moments writes the mean). */
  stats: Float32Array;
  /** bn_moments: the variance out. */
  variance?: Float32Array;
  /** The preceding conv's bias, `channels` floats (-0 without one: see batch_norm.c input()). */
  bias: Float32Array;
  /** sum_g, sum_gxhat: `channels` doubles each (bn_moments' scratch). */
  sums?: Float64Array;
  /** scale, mean_g, mean_gxhat: `channels` doubles each. */
  coefficients?: Float64Array;
  /** bn_forward's output, bn_grad_dx's dx. */
  out?: Float32Array;
}

/** Which input the output has the shape of. */
type OutputOf = "x" | "dy" | undefined;

/** The bias of an op without one: x + -0 is x, bit for bit. */
function biasOrNone(bias: Float32Array | undefined, channels: number): Float32Array {
  return bias ?? new Float32Array(channels).fill(-0);
}

/** The struct's scalar fields. */
interface Settings {
  channels: number;
  relu: boolean;
  /** bn_moments: divide each term by N before summing. */
  divide: boolean;
}

/** One call's arrays where the loops can run on them. */
interface Workspace {
  /** The arrays the loops see: the caller's (native) or their copies in the arena (wasm). */
  arrays: Arrays;
  run(loop: Loop): void;
  /** `values`, one of {@link arrays}, as an array the caller may keep (wasm: copied out). */
  keep<T extends Float32Array | Float64Array>(values: T): T;
}

/** The loops on the shim, on `given` itself, the output into a fresh array. */
function nativeWorkspace(native: OneDnn, s: Settings, given: Arrays, output: OutputOf): Workspace {
  const arrays: Arrays = { ...given, out: output && new Float32Array(given[output]!.length) };
  const header = Int32Array.of(
    arrays.x.length / s.channels,
    s.channels,
    s.relu ? 1 : 0,
    s.divide ? 1 : 0,
    arrays.stats.length / s.channels,
  );
  return {
    arrays,
    run: (loop) => {
      const ok = native.batchNorm(
        LOOPS.indexOf(loop),
        header,
        arrays.x,
        arrays.dy ?? null,
        arrays.stats,
        arrays.variance ?? null,
        arrays.bias,
        arrays.sums ?? null,
        arrays.coefficients ?? null,
        arrays.out ?? null,
      );
      if (!ok) throw new Error(`the oneDNN shim could not run batch norm loop ${loop}`);
    },
    keep: (values) => values,
  };
}

/**
 * The loops on the pool, on copies of `given` in the arena (valid inside `engine.arena.scope`),
 * the output in a region of its own.
 */
function wasmWorkspace(engine: CpuEngine, s: Settings, given: Arrays, output: OutputOf): Workspace {
  const a = engine.arena;
  const regions = new Map<Float32Array | Float64Array, Region>();
  const place = <T extends Float32Array | Float64Array>(values: T | undefined) => {
    if (!values) return undefined;
    const region = a.alloc(values.length * (values.BYTES_PER_ELEMENT / 4));
    const view = (values instanceof Float64Array ? a.f64(region) : a.f32(region)) as T;
    view.set(values);
    regions.set(view, region);
    return view;
  };
  const arrays: Arrays = {
    x: place(given.x)!,
    dy: place(given.dy),
    stats: place(given.stats)!,
    variance: place(given.variance),
    bias: place(given.bias)!,
    sums: place(given.sums),
    coefficients: place(given.coefficients),
  };
  if (output) {
    const region = a.alloc(given[output]!.length);
    arrays.out = a.f32(region);
    regions.set(arrays.out, region);
  }
  const ptr = (values: Float32Array | Float64Array | undefined) =>
    values ? regions.get(values)!.ptr : 0;
  // Pointers to the rows of a per-channel block: row i of `values`, if it has one.
  const row = (values: Float32Array | Float64Array | undefined, i: number) =>
    values && i < values.length / s.channels
      ? ptr(values) + values.BYTES_PER_ELEMENT * i * s.channels
      : 0;
  const params = a.putInts([
    arrays.x.length / s.channels,
    s.channels,
    s.relu ? 1 : 0,
    ptr(arrays.x),
    ptr(arrays.dy),
    ...[0, 1, 2, 3].map((i) => row(arrays.stats, i)),
    ...[0, 1].map((i) => row(arrays.sums, i)),
    ...[0, 1, 2].map((i) => row(arrays.coefficients, i)),
    ptr(arrays.variance),
    s.divide ? 1 : 0,
    ptr(arrays.bias),
    ptr(arrays.out),
  ]);
  return {
    arrays,
    run: (loop) => engine.run(loop, [params.ptr]),
    keep: (values) => values.slice() as typeof values,
  };
}

/** Runs `body` with `given` where `loops` run on it, with an output shaped as `output`. */
function withWorkspace<R>(
  loops: BatchNormLoops,
  s: Settings,
  given: Arrays,
  output: OutputOf,
  body: (w: Workspace) => R,
): R {
  if ("native" in loops) return body(nativeWorkspace(loops.native, s, given, output));
  const { engine } = loops;
  return engine.arena.scope(() => body(wasmWorkspace(engine, s, given, output)));
}

/** mean, invStd, gamma and -beta, one after another (bn_forward adds β as "- (-β)"). */
function forwardStats(
  mean: Float32Array,
  invStd: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
): Float32Array {
  const channels = mean.length;
  const stats = new Float32Array(4 * channels);
  [mean, invStd, gamma, beta.map((b) => -b)].forEach((values, i) =>
    stats.set(values, i * channels)
  );
  return stats;
}

/** Per-channel mean and biased variance: batch_norm_relu.ts's channelMoments loops. */
export function momentsOnEngine(
  loops: BatchNormLoops,
  x: Float32Array,
  bias: Float32Array | undefined,
  channels: number,
  divide: boolean,
): { mean: Float32Array; variance: Float32Array } {
  const given: Arrays = {
    x,
    bias: biasOrNone(bias, channels),
    stats: new Float32Array(channels),
    variance: new Float32Array(channels),
    sums: new Float64Array(2 * channels),
  };
  return withWorkspace(loops, { channels, relu: false, divide }, given, undefined, (w) => {
    w.run("bn_moments");
    return { mean: w.keep(w.arrays.stats), variance: w.keep(w.arrays.variance!) };
  });
}

/** `((x − mean)·invStd)·γ + β`, then ReLU when `relu`: batch_norm_relu.ts's forward loop. */
export function normalizeOnEngine(
  loops: BatchNormLoops,
  x: Float32Array,
  bias: Float32Array | undefined,
  mean: Float32Array,
  invStd: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  relu: boolean,
): Float32Array {
  const given: Arrays = {
    x,
    bias: biasOrNone(bias, mean.length),
    stats: forwardStats(mean, invStd, gamma, beta),
  };
  const settings = { channels: mean.length, relu, divide: false };
  return withWorkspace(loops, settings, given, "x", (w) => {
    w.run("bn_forward");
    return w.keep(w.arrays.out!);
  });
}

/** Per-channel coefficients of the gradient's second pass (see batch_norm_relu.ts). */
export interface GradCoefficients {
  scale: Float64Array;
  meanG: Float64Array;
  meanGXhat: Float64Array;
}

/**
 * The two gradient passes of batch_norm_relu.ts off the JS thread: the per-channel sums Σg and
 * Σg·x̂, `coefficients` from them (computed by the caller, in JS), then dx. The ReLU mask is
 * recomputed from x, γ and β (the forward's arithmetic), so the op's output need not be passed.
 */
export function normalizeGradOnEngine(
  loops: BatchNormLoops,
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
  const channels = mean.length;
  const given: Arrays = {
    x,
    dy,
    bias: biasOrNone(bias, channels),
    stats: forwardStats(mean, invStd, gamma, beta),
    sums: new Float64Array(2 * channels),
    coefficients: new Float64Array(3 * channels),
  };
  return withWorkspace(loops, { channels, relu, divide: false }, given, "dy", (w) => {
    w.run("bn_grad_sums");
    const sums = w.arrays.sums!;
    const sumG = sums.slice(0, channels), sumGXhat = sums.slice(channels);
    const c = coefficients(sumG, sumGXhat);
    [c.scale, c.meanG, c.meanGXhat].forEach((values, i) =>
      w.arrays.coefficients!.set(values, i * channels)
    );
    w.run("bn_grad_dx");
    return { dx: w.keep(w.arrays.out!), sumG, sumGXhat };
  });
}
