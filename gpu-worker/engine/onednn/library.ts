/**
 * Loads the oneDNN shim (llmseg_dnnl.c, built by build.sh into build/libllmseg_dnnl.so) through
 * Deno FFI (issue #13). Arrays go in as "buffer": Deno passes a typed array's own memory, no copy.
 * Absent shim, absent libdnnl, no FFI permission, or a runtime without `Deno.dlopen`: the reason
 * is returned instead, and the engine stays on the WebAssembly kernels.
 */
import { fileURLToPath } from "node:url";
import type { SgdMomentumAttrs } from "../elementwise_kernels.ts";

const SYMBOLS = {
  llmseg_dnnl_init: { parameters: ["i32"], result: "i32" },
  llmseg_dnnl_set_threads: { parameters: ["i32"], result: "void" },
  llmseg_dnnl_clear_cache: { parameters: [], result: "void" },
  llmseg_conv3d: { parameters: ["i32", "buffer", "buffer", "buffer", "buffer"], result: "i32" },
  llmseg_conv3d_impl: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  llmseg_sgemm: {
    parameters: ["i32", "i32", "i32", "i32", "i32", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  // elementwise_native.c: the memory-bound kernels on OpenMP's threads.
  llmseg_transpose: { parameters: ["i32", "buffer", "buffer", "buffer", "buffer"], result: "void" },
  llmseg_reduce_middle: {
    parameters: ["i64", "i64", "i64", "f64", "buffer", "buffer"],
    result: "void",
  },
  llmseg_binary: {
    parameters: ["i32", "i32", "i64", "i64", "i64", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  llmseg_sgd: {
    parameters: [
      "i64",
      "buffer",
      "buffer",
      "buffer",
      "i32",
      "f32",
      "f32",
      "f32",
      "buffer",
      "buffer",
    ],
    result: "void",
  },
  llmseg_bn: {
    parameters: [
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
} as const;

/** The binary ops {@link OneDnn.binary} runs, numbered as the shim's OP_* constants. */
export const BinaryOp = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 } as const;
export type BinaryOp = typeof BinaryOp[keyof typeof BinaryOp];

/** Which convolution {@link OneDnn.conv3d} runs; the numbers are the shim's CONV_* constants. */
export const ConvKind = { forward: 0, backwardData: 1, backwardWeights: 2 } as const;
export type ConvKind = typeof ConvKind[keyof typeof ConvKind];

/** The loaded shim. */
export interface OneDnn {
  /** Where it was loaded from. */
  readonly path: string;
  /**
   * Runs a convolution on the caller's arrays (`params`: the 18-int conv block of
   * conv3d_kernels.ts): forward x, w → y; backwardData dy, w → dx; backwardWeights x, dy → dw.
   * False when oneDNN has no kernel for the case (the caller falls back).
   */
  conv3d(
    kind: ConvKind,
    params: Int32Array,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
  ): boolean;
  /** The oneDNN implementation that runs a convolution (e.g. "brg:avx512_core"), if any. */
  convImplementation(kind: ConvKind, params: Int32Array): string | undefined;
  /** Row-major out[m,n] = op(a)·op(b) (op transposes when asked); false on failure. */
  sgemm(
    transposeA: boolean,
    transposeB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
  ): boolean;
  /**
   * The threaded loops of elementwise_native.c, each with the bits of the JS kernel it replaces
   * (see {@link threadedLoops} for when the kernels use them). `transpose`: out = x of `shape`
   * with its axes permuted by `perm`.
   */
  transpose(shape: Int32Array, perm: Int32Array, x: Float32Array, out: Float32Array): void;
  /** out[o, j] = scale · Σ_m x[o, m, j], x viewed as [outer, middle, inner], in float64. */
  reduceMiddle(
    outer: number,
    middle: number,
    inner: number,
    scale: number,
    x: Float32Array,
    out: Float32Array,
  ): void;
  /**
   * out = big op small (small op big when `swapped`), `big` viewed as [outer, middle, inner] and
   * `small` as [outer, 1, inner] (elementwise_kernels.ts's broadcastOf).
   */
  binary(
    op: BinaryOp,
    swapped: boolean,
    middle: number,
    inner: number,
    big: Float32Array,
    small: Float32Array,
    out: Float32Array,
  ): void;
  /** The fused SGD-with-momentum update (elementwise_kernels.ts's LlmsegSgdMomentum). */
  sgd(
    w: Float32Array,
    grad: Float32Array,
    buffer: Float32Array | undefined,
    hyper: SgdMomentumAttrs,
    outW: Float32Array,
    outBuffer: Float32Array,
  ): void;
  /**
   * Runs one of the fused batch norm's loops (`loop`: batch_norm_native.c's BN_* number) on the
   * caller's arrays, on OpenMP's threads; `header`: voxels, channels, relu, divide, rows of
   * `stats`. The arrays are batch_norm.c's struct fields (see batch_norm_kernel.ts); null where the
   * loop does not use them. False on an unknown loop or out of memory.
   */
  batchNorm(
    loop: number,
    header: Int32Array,
    x: Float32Array,
    dy: Float32Array | null,
    stats: Float32Array,
    variance: Float32Array | null,
    bias: Float32Array,
    sums: Float64Array | null,
    coefficients: Float64Array | null,
    out: Float32Array | null,
  ): boolean;
  /** Sets the threads oneDNN's OpenMP runs on. */
  setThreads(threads: number): void;
  /** Frees the cached primitives. */
  clearCache(): void;
}

/** The shim's default place: build/ next to this file. */
export function defaultLibraryPath(): string {
  return fileURLToPath(new URL("./build/libllmseg_dnnl.so", import.meta.url));
}

/** The loaded shim, or why it could not load. */
export type LoadResult = { library: OneDnn } | { reason: string };

let loaded: OneDnn | undefined;

/**
 * Loads the shim at `path` once per process (a dlopen'd library stays) and starts oneDNN on `threads`
 * threads. OpenMP's worker threads are told to sleep, not spin, between kernels
 * (OMP_WAIT_POLICY, unless set): the WebAssembly thread pool runs the element-wise work between
 * convolutions on the same cores.
 */
export function loadOneDnn(threads: number, path = defaultLibraryPath()): LoadResult {
  if (loaded?.path === path) {
    loaded.setThreads(threads);
    return { library: loaded };
  }
  if (typeof Deno?.dlopen !== "function") return { reason: "this runtime has no FFI" };
  try {
    Deno.statSync(path);
  } catch {
    return { reason: `${path} not built (deploy/setup.sh builds it where libdnnl-dev is)` };
  }
  if (Deno.env.get("OMP_WAIT_POLICY") === undefined) Deno.env.set("OMP_WAIT_POLICY", "passive");
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen(path, SYMBOLS);
  } catch (error) {
    return { reason: `cannot load ${path}: ${(error as Error).message}` };
  }
  const status = lib.symbols.llmseg_dnnl_init(threads);
  if (status !== 0) {
    lib.close();
    return { reason: `oneDNN did not start (status ${status})` };
  }
  const s = lib.symbols;
  loaded = {
    path,
    conv3d: (kind, params, a, b, out) => s.llmseg_conv3d(kind, params, a, b, out) === 0,
    convImplementation: (kind, params) => {
      const text = new Uint8Array(128);
      if (s.llmseg_conv3d_impl(kind, params, text, text.length) !== 0) return undefined;
      return new TextDecoder().decode(text.subarray(0, text.indexOf(0)));
    },
    sgemm: (ta, tb, m, n, k, a, b, out) =>
      s.llmseg_sgemm(ta ? 1 : 0, tb ? 1 : 0, m, n, k, a, b, out) === 0,
    transpose: (shape, perm, x, out) => s.llmseg_transpose(shape.length, shape, perm, x, out),
    reduceMiddle: (outer, middle, inner, scale, x, out) =>
      s.llmseg_reduce_middle(BigInt(outer), BigInt(middle), BigInt(inner), scale, x, out),
    binary: (op, swapped, middle, inner, big, small, out) => {
      const n = BigInt(out.length);
      if (s.llmseg_binary(op, swapped ? 1 : 0, n, BigInt(middle), BigInt(inner), big, small, out)) {
        throw new RangeError(`llmseg_binary: unknown op ${op}`);
      }
    },
    sgd: (w, grad, buffer, { lr, momentum, weightDecay }, outW, outBuffer) =>
      s.llmseg_sgd(
        BigInt(w.length),
        w,
        grad,
        buffer ?? grad,
        buffer ? 1 : 0,
        lr,
        momentum,
        weightDecay,
        outW,
        outBuffer,
      ),
    batchNorm: (loop, header, x, dy, stats, variance, bias, sums, coefficients, out) =>
      s.llmseg_bn(loop, header, x, dy, stats, variance, bias, sums, coefficients, out) === 0,
    setThreads: (t) => s.llmseg_dnnl_set_threads(t),
    clearCache: () => s.llmseg_dnnl_clear_cache(),
  };
  return { library: loaded };
}

/**
 * Below this many elements the JS loops win: waking OpenMP's sleeping threads (OMP_WAIT_POLICY
 * passive) costs microseconds.
 */
export const THREADED_MIN_ELEMENTS = 32768;

/**
 * Whether every array is a real Float32Array, as the shim reads it. A float32 tensor's store need
 * not be one: tfjs's Cast from bool or int32 keeps the input's Uint8Array or Int32Array (no
 * encoding loss), which JS indexing reads as numbers but C reads as floats (the NaN of the
 * reverted 8914c3a: `1 - mask` on a cast boolean mask in the unsupervised loss).
 */
export function allFloat32(arrays: unknown[]): arrays is Float32Array[] {
  return arrays.every((a) => a instanceof Float32Array);
}

/**
 * `native` when a kernel should run its threaded loop on `arrays` of `elements` elements: large,
 * and every array a real Float32Array.
 */
export function threadedLoops(
  native: OneDnn | undefined,
  elements: number,
  arrays: unknown[],
): OneDnn | undefined {
  return native && elements >= THREADED_MIN_ELEMENTS && allFloat32(arrays) ? native : undefined;
}
