/**
 * tfjs cpu-backend kernels for CutMix's batch gather (`tf.gather(values, partner)`, axis 0) and
 * its gradient, UnsortedSegmentSum (issue #13: the stock gradient builds a mask, a product and a
 * sum over the whole tensor per segment, ~130 ms per co-training iteration; the stock gather walks
 * element by element). Here whole rows (one sample each) are copied or summed. Other cases (another
 * axis, batch dims, non-float32 values, an index out of range) go to the stock kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { asCpu, type CpuBackend, float32Store, storeOf } from "./cpu_backend.ts";
import { runStock, type StockKernels } from "./stock_kernels.ts";

/** The int32 indices of a rank-1 tensor, or undefined for any other. */
function rowIndices(backend: CpuBackend, info: tf.TensorInfo): Int32Array | undefined {
  if (info.dtype !== "int32" || info.shape.length !== 1) return undefined;
  return storeOf(backend, info) as Int32Array;
}

function gatherConfig(stock: StockKernels): tf.KernelConfig {
  return {
    kernelName: tf.GatherV2,
    backendName: "cpu",
    kernelFunc: (args) => {
      const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
      const { axis, batchDims } = args.attrs as unknown as tf.GatherV2Attrs;
      const backend = asCpu(args.backend);
      const rows = rowIndices(backend, indices);
      const count = x.shape[0];
      const leading = x.shape.length > 0 &&
        tf.util.parseAxisParam(axis, x.shape)[0] === 0 && (batchDims ?? 0) === 0;
      if (
        x.dtype !== "float32" || !rows || !leading || rows.some((r) => r < 0 || r >= count)
      ) {
        return runStock(stock, tf.GatherV2, args);
      }
      const values = float32Store(backend, x);
      const row = values.length / count;
      const out = new Float32Array(rows.length * row);
      rows.forEach((r, i) => out.set(values.subarray(r * row, (r + 1) * row), i * row));
      return backend.makeTensorInfo([rows.length, ...x.shape.slice(1)], "float32", out);
    },
  };
}

/**
 * Sums the rows of x into their segments, in row order in float64 as the stock kernel's masked sum
 * (which gives the same values for finite x); ids outside [0, numSegments) are dropped, as there.
 */
function segmentSumConfig(stock: StockKernels): tf.KernelConfig {
  return {
    kernelName: tf.UnsortedSegmentSum,
    backendName: "cpu",
    kernelFunc: (args) => {
      const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const { numSegments } = args.attrs as unknown as tf.UnsortedSegmentSumAttrs;
      const backend = asCpu(args.backend);
      const ids = rowIndices(backend, segmentIds);
      if (x.dtype !== "float32" || !ids || ids.length !== x.shape[0]) {
        return runStock(stock, tf.UnsortedSegmentSum, args);
      }
      const values = float32Store(backend, x);
      const row = ids.length === 0 ? 0 : values.length / ids.length;
      const sums = new Float64Array(numSegments * row);
      ids.forEach((segment, i) => {
        if (segment < 0 || segment >= numSegments) return;
        for (let j = 0, at = segment * row, from = i * row; j < row; j++) {
          sums[at + j] += values[from + j];
        }
      });
      const shape = [numSegments, ...x.shape.slice(1)];
      return backend.makeTensorInfo(shape, "float32", Float32Array.from(sums));
    },
  };
}

/** The gather and segment-sum kernel configs; `stock` holds the kernels they replace. */
export function gatherKernelConfigs(stock: StockKernels): tf.KernelConfig[] {
  return [gatherConfig(stock), segmentSumConfig(stock)];
}
