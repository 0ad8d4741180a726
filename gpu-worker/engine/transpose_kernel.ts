/**
 * tfjs cpu-backend Transpose and Reverse for float32: the output is written in order while the
 * input is read by strides (an odometer over the output's leading axes, no per-element index
 * arithmetic as in the stock kernels). Where the last axis keeps its place and direction each
 * output row is a contiguous copy; otherwise a strided gather. The identity permutation (the
 * gather gradient's) shares the input's data. Other dtypes go to the stock kernels. Where the
 * oneDNN shim is loaded, large transposes run its threaded copy (elementwise_native.c, the same
 * loop).
 */
import * as tf from "@tensorflow/tfjs";
import { asCpu, float32Store } from "./cpu_backend.ts";
import { type OneDnn, threadedLoops } from "./onednn/library.ts";
import { runStock, type StockKernels } from "./stock_kernels.ts";

/** Row-major strides of `shape`. */
function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  for (let axis = shape.length - 1, stride = 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis];
  }
  return strides;
}

/**
 * A new array of shape `outShape` whose element at index i reads x at `start` + Σ i·`strides`
 * (strides may be negative): an odometer over the output's leading axes, each output row a
 * contiguous copy where its stride is 1, a strided gather otherwise.
 */
function stridedCopy(
  x: Float32Array,
  outShape: readonly number[],
  strides: readonly number[],
  start: number,
): Float32Array {
  const out = new Float32Array(x.length);
  const rank = outShape.length;
  const row = outShape[rank - 1], step = strides[rank - 1];
  const index = new Array<number>(rank - 1).fill(0);
  for (let o = 0, src = start; o < x.length; o += row) {
    if (step !== 1) { for (let j = 0, s = src; j < row; j++, s += step) out[o + j] = x[s]; }
    else if (row >= 256) out.set(x.subarray(src, src + row), o);
    // Short contiguous rows copy faster element by element than through a subarray view.
    else for (let j = 0; j < row; j++) out[o + j] = x[src + j];
    for (let axis = rank - 2; axis >= 0; axis--) {
      index[axis]++;
      src += strides[axis];
      if (index[axis] < outShape[axis]) break;
      src -= strides[axis] * outShape[axis];
      index[axis] = 0;
    }
  }
  return out;
}

/** x (shape `shape`) with its axes permuted by `perm`. */
function permute(x: Float32Array, shape: number[], perm: number[]): Float32Array {
  const strides = rowMajorStrides(shape);
  return stridedCopy(x, perm.map((p) => shape[p]), perm.map((p) => strides[p]), 0);
}

/** x (shape `shape`) read backwards along `axes`. */
export function reverseAxes(x: Float32Array, shape: number[], axes: number[]): Float32Array {
  const strides = rowMajorStrides(shape).map((s, axis) => (axes.includes(axis) ? -s : s));
  const start = axes.reduce((sum, axis) => sum - (shape[axis] - 1) * strides[axis], 0);
  return stridedCopy(x, shape, strides, start);
}

/**
 * The Transpose kernel config; `stock` holds the kernel it replaces; `native`, when loaded, runs
 * the large ones on its threads.
 */
export function transposeKernelConfig(
  stock: StockKernels,
  native?: OneDnn,
): tf.KernelConfig {
  return {
    kernelName: tf.Transpose,
    backendName: "cpu",
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { perm } = args.attrs as unknown as tf.TransposeAttrs;
      if (x.dtype !== "float32" || x.shape.length === 0) {
        return runStock(stock, tf.Transpose, args);
      }
      const backend = asCpu(args.backend);
      if (perm.every((p, i) => p === i)) {
        backend.incRef(x.dataId);
        return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
      }
      const values = float32Store(backend, x);
      const threaded = threadedLoops(native, values.length, [values]);
      let out: Float32Array;
      if (threaded) {
        out = new Float32Array(values.length);
        threaded.transpose(Int32Array.from(x.shape), Int32Array.from(perm), values, out);
      } else out = permute(values, x.shape, perm);
      return backend.makeTensorInfo(perm.map((p) => x.shape[p]), "float32", out);
    },
  };
}

/**
 * The Reverse kernel config (test-time mirroring flips every window: the stock kernel's
 * per-element index arithmetic took 0.17 s per 32×48×32×2 window); `stock` holds the one it
 * replaces.
 */
export function reverseKernelConfig(stock: StockKernels): tf.KernelConfig {
  return {
    kernelName: tf.Reverse,
    backendName: "cpu",
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { dims } = args.attrs as unknown as tf.ReverseAttrs;
      if (x.dtype !== "float32" || x.shape.length === 0) {
        return runStock(stock, tf.Reverse, args);
      }
      const backend = asCpu(args.backend);
      const axes = tf.util.parseAxisParam(dims, x.shape).filter((axis) => x.shape[axis] > 1);
      const values = float32Store(backend, x);
      return backend.makeTensorInfo([...x.shape], "float32", reverseAxes(values, x.shape, axes));
    },
  };
}
