/**
 * tfjs cpu-backend kernels on oneDNN (issue #13): Conv3D, Conv3DBackpropInputV2,
 * Conv3DBackpropFilterV2 and the single-batch BatchMatMul of the V-Net's up-convolution. tfjs's
 * arrays go to the shim by pointer and the result is written into a fresh array that becomes the
 * output tensor's store: no copies. Cases oneDNN does not take (dilation, NCDHW, non-float32, a
 * shape it has no kernel for, a store that is not a Float32Array) run the kernel they replace (the
 * WebAssembly one).
 */
import * as tf from "@tensorflow/tfjs";
import { asCpu, storeOf } from "../cpu_backend.ts";
import { type Conv3DInfo, conv3dInfoOf, convParams, supported } from "../conv3d_kernels.ts";
import { allFloat32, ConvKind, type OneDnn } from "./library.ts";

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** A tensor's store: a Float32Array, or for a float32 cast from bool or int32 not (see allFloat32). */
function values(args: KernelArgs, info: tf.TensorInfo): unknown {
  return storeOf(asCpu(args.backend), info);
}

/**
 * Runs convolution `kind` of `c` on a, b into a new array of `outShape`, as a tensor of the cpu
 * backend; undefined when `c` or the dtypes are not covered or oneDNN declines.
 */
function runConv(
  dnn: OneDnn,
  args: KernelArgs,
  kind: ConvKind,
  c: Conv3DInfo,
  [a, b]: [tf.TensorInfo, tf.TensorInfo],
  outShape: number[],
): tf.TensorInfo | undefined {
  const inputs = [values(args, a), values(args, b)];
  if (!supported(c, [a.dtype, b.dtype]) || !allFloat32(inputs)) return undefined;
  const out = new Float32Array(tf.util.sizeFromShape(outShape));
  const params = Int32Array.from(convParams(c));
  if (!dnn.conv3d(kind, params, inputs[0], inputs[1], out)) return undefined;
  return asCpu(args.backend).makeTensorInfo(outShape, "float32", out);
}

/** The shape of a single-batch matMul (any leading dims of size 1), or undefined. */
function matMulShape(
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  attrs: tf.BatchMatMulAttrs,
): { m: number; n: number; k: number; outShape: number[] } | undefined {
  const batch = (s: number[]) => tf.util.sizeFromShape(s.slice(0, -2));
  if (
    a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length < 2 ||
    b.shape.length < 2 || batch(a.shape) !== 1 || batch(b.shape) !== 1
  ) {
    return undefined;
  }
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const m = attrs.transposeA ? ac : ar, k = attrs.transposeA ? ar : ac;
  const n = attrs.transposeB ? br : bc;
  const lead = (a.shape.length >= b.shape.length ? a.shape : b.shape).slice(0, -2);
  return { m, n, k, outShape: [...lead, m, n] };
}

/** The oneDNN kernels, each falling back to `fallback`'s kernel of its name. */
export function oneDnnKernelConfigs(
  dnn: OneDnn,
  fallback: Map<string, tf.KernelConfig>,
): tf.KernelConfig[] {
  const orElse = (name: string, args: KernelArgs, result: tf.TensorInfo | undefined) =>
    result ?? (fallback.get(name)!.kernelFunc(args) as tf.TensorInfo);
  return [
    {
      kernelName: tf.Conv3D,
      backendName: "cpu",
      kernelFunc: (args) => {
        const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
        const c = conv3dInfoOf[tf.Conv3D](args);
        return orElse(
          tf.Conv3D,
          args,
          runConv(dnn, args, ConvKind.forward, c, [x, filter], c.outShape),
        );
      },
    },
    {
      kernelName: tf.Conv3DBackpropInputV2,
      backendName: "cpu",
      kernelFunc: (args) => {
        const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
        const c = conv3dInfoOf[tf.Conv3DBackpropInputV2](args);
        const dx = runConv(dnn, args, ConvKind.backwardData, c, [dy, filter], c.inShape);
        return orElse(tf.Conv3DBackpropInputV2, args, dx);
      },
    },
    {
      kernelName: tf.Conv3DBackpropFilterV2,
      backendName: "cpu",
      kernelFunc: (args) => {
        const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
        const { filterShape } = args.attrs as unknown as tf.Conv3DBackpropFilterV2Attrs;
        const c = conv3dInfoOf[tf.Conv3DBackpropFilterV2](args);
        const dw = runConv(dnn, args, ConvKind.backwardWeights, c, [x, dy], filterShape);
        return orElse(tf.Conv3DBackpropFilterV2, args, dw);
      },
    },
    {
      kernelName: tf.BatchMatMul,
      backendName: "cpu",
      kernelFunc: (args) => {
        const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
        const attrs = args.attrs as unknown as tf.BatchMatMulAttrs;
        const shape = matMulShape(a, b, attrs);
        const inputs = [values(args, a), values(args, b)];
        if (!shape || !allFloat32(inputs)) return orElse(tf.BatchMatMul, args, undefined);
        const { m, n, k, outShape } = shape;
        const out = new Float32Array(m * n);
        const [x, y] = inputs;
        const ok = dnn.sgemm(attrs.transposeA, attrs.transposeB, m, n, k, x, y, out);
        const backend = asCpu(args.backend);
        return orElse(
          tf.BatchMatMul,
          args,
          ok ? backend.makeTensorInfo(outShape, "float32", out) : undefined,
        );
      },
    },
  ];
}

/**
 * `configs` with the kernels oneDNN covers replaced by its own, which fall back to the replaced
 * ones.
 */
export function withOneDnnKernels(dnn: OneDnn, configs: tf.KernelConfig[]): tf.KernelConfig[] {
  const byName = new Map(configs.map((c) => [c.kernelName, c]));
  const native = oneDnnKernelConfigs(dnn, byName);
  const names = new Set(native.map((c) => c.kernelName));
  return [...configs.filter((c) => !names.has(c.kernelName)), ...native];
}
