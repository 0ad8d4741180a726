/**
 * tfjs cpu-backend BatchMatMul on the wasm convolution kernels, for the V-Net's k2 s2 up-conv
 * (written as a matMul, docs/METHOD.md 3.1 / COMPUTE.md 1) and its gradients: with one batch,
 * A[M,K]·B[K,N] is a 1x1x1 convolution of M voxels (conv3d_forward), A·Bᵀ the same with B
 * read transposed while it is packed, and Aᵀ·B the filter gradient of that convolution
 * (conv3d_backprop_filter). Batched or doubly-transposed products go to the stock kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { asCpu, float32Store } from "./cpu_backend.ts";
import type { CpuEngine } from "./cpu_engine.ts";
import { runForward } from "./conv3d_kernels.ts";
import { runStock, type StockKernels } from "./stock_kernels.ts";

/**
 * Splits M voxels into rows × columns (columns ≤ 64 dividing M): the filter-gradient kernel sums
 * each row in registers before adding it to the result, so its float32 sums stay short.
 */
function rowsAndColumns(m: number): [number, number] {
  for (let w = Math.min(64, m); w > 1; w--) if (m % w === 0) return [m / w, w];
  return [m, 1];
}

/** Conv parameter block of a 1x1x1 convolution of M voxels, K → N channels. */
function pointwiseParams(m: number, k: number, n: number): number[] {
  const [rows, cols] = rowsAndColumns(m);
  return [1, 1, rows, cols, k, 1, rows, cols, n, 1, 1, 1, 1, 1, 1, 0, 0, 0];
}

/** The BatchMatMul kernel config; `stock` holds the kernel it replaces. */
export function matMulKernelConfig(
  engine: CpuEngine,
  stock: StockKernels,
): tf.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName: "cpu",
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
      const batch = (s: number[]) => tf.util.sizeFromShape(s.slice(0, -2));
      if (
        a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length < 2 ||
        b.shape.length < 2 || batch(a.shape) !== 1 || batch(b.shape) !== 1 ||
        (transposeA && transposeB)
      ) {
        return runStock(stock, tf.BatchMatMul, args);
      }
      const backend = asCpu(args.backend);
      const [ar, ac] = a.shape.slice(-2);
      const [br, bc] = b.shape.slice(-2);
      const m = transposeA ? ac : ar, k = transposeA ? ar : ac;
      const n = transposeB ? br : bc;
      const outShape = [
        ...(a.shape.length >= b.shape.length ? a.shape : b.shape).slice(0, -2),
        m,
        n,
      ];
      const arena = engine.arena;
      return arena.scope(() => {
        const av = float32Store(backend, a);
        const bv = float32Store(backend, b);
        if (transposeA) {
          const out = arena.alloc(m * n);
          // Aᵀ·B = Σ over the rows of A and B: the filter gradient of a 1x1x1 conv of ar voxels.
          const p = arena.putInts(pointwiseParams(k, m, n));
          const ap = arena.put(av), bp = arena.put(bv);
          engine.run("conv3d_backprop_filter", [p.ptr, ap.ptr, bp.ptr, out.ptr]);
          return backend.makeTensorInfo(outShape, "float32", arena.take(out));
        }
        // B (or Bᵀ) is read through its strides while it is packed: no separate transpose.
        const out = runForward(engine, pointwiseParams(m, k, n), arena.put(av), bv, {
          taps: 1,
          cin: k,
          cout: n,
          inStride: transposeB ? 1 : n,
          outStride: transposeB ? k : 1,
          flip: false,
        }, m * n);
        return backend.makeTensorInfo(outShape, "float32", arena.take(out));
      });
    },
  };
}
