/**
 * tfjs cpu-backend Transpose fast path for permutations that keep the last axis in place
 * (the V-Net up-conv's depth-to-space swaps two middle axes, COMPUTE.md 1): whole last-axis runs
 * are copied as blocks (`TypedArray.set`) instead of the stock kernel's per-element index
 * arithmetic. Other permutations and dtypes go to the stock kernel.
 */
import * as tf from "@tensorflow/tfjs";

interface CpuBackend {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: "float32", values: Float32Array): tf.TensorInfo;
}

/** Copies runs of `run` floats from x (shape `shape`) to out, permuting the leading axes. */
function permuteRuns(x: Float32Array, shape: number[], perm: number[], run: number): Float32Array {
  const out = new Float32Array(x.length);
  const lead = perm.length - 1;
  const outShape = perm.slice(0, lead).map((p) => shape[p]);
  // Stride (in runs) of each input axis, read in output-axis order.
  const inStrides = new Array<number>(lead);
  let stride = 1;
  for (let axis = lead - 1; axis >= 0; axis--) {
    inStrides[axis] = stride;
    stride *= shape[axis];
  }
  const strides = perm.slice(0, lead).map((p) => inStrides[p]);
  const index = new Array<number>(lead).fill(0);
  const runs = x.length / run;
  let src = 0;
  for (let r = 0; r < runs; r++) {
    out.set(x.subarray(src * run, src * run + run), r * run);
    for (let axis = lead - 1; axis >= 0; axis--) {
      index[axis]++;
      src += strides[axis];
      if (index[axis] < outShape[axis]) break;
      src -= strides[axis] * outShape[axis];
      index[axis] = 0;
    }
  }
  return out;
}

/** The Transpose kernel config; `stock` holds the kernel it replaces. */
export function transposeKernelConfig(stock: Map<string, tf.KernelConfig>): tf.KernelConfig {
  return {
    kernelName: tf.Transpose,
    backendName: "cpu",
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { perm } = args.attrs as unknown as tf.TransposeAttrs;
      const last = x.shape.length - 1;
      const run = x.shape[last] ?? 1;
      if (x.dtype !== "float32" || last < 1 || perm[last] !== last || run < 4) {
        return stock.get(tf.Transpose)!.kernelFunc(args) as tf.TensorInfo;
      }
      const backend = args.backend as unknown as CpuBackend;
      const values = backend.data.get(x.dataId).values as Float32Array;
      const out = permuteRuns(values, x.shape, perm, run);
      return backend.makeTensorInfo(perm.map((p) => x.shape[p]), "float32", out);
    },
  };
}
