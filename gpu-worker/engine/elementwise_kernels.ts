/**
 * tfjs cpu-backend kernels for the element-wise and reduction ops the V-Net's batch norm, bias and
 * their gradients hit hardest (issue #4: after the convolutions, the profiler showed Multiply, Sum,
 * Mean, Sub and Add taking most of a training step in the stock kernels' generic broadcasting).
 * Covered: float32 Add/Sub/Multiply/RealDiv of equal shapes, with a scalar, or with a per-channel
 * vector broadcast along the last axis; Sum/Mean over any contiguous run of axes; Relu, Step, and
 * Softmax over the last axis.
 * Everything else goes to the stock kernel. Plain JS: these ops are memory-bound, and working on
 * the backend's arrays in place avoids copying into the wasm memory and back.
 */
import * as tf from "@tensorflow/tfjs";

/** The parts of tfjs-backend-cpu's MathBackendCPU the kernels use. */
interface CpuBackend {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: "float32", values: Float32Array): tf.TensorInfo;
}

/** How the second operand is indexed against the first (or the first against the second). */
type Layout = "same" | "channel" | "scalar";
type BinaryLoop = (
  out: Float32Array,
  a: Float32Array,
  b: Float32Array,
  channels: number,
  swapped: boolean,
) => void;

const BINARY_OPS = {
  [tf.Add]: "x + y",
  [tf.Sub]: "x - y",
  [tf.Multiply]: "x * y",
  [tf.RealDiv]: "x / y",
} as const;

/**
 * One loop per op and layout, generated so each is monomorphic (a shared loop calling an op
 * callback is several times slower in V8). `a` is the full-size operand; when `swapped`, the
 * small operand `b` is the op's left side.
 */
function compileLoop(expr: string, layout: Layout): BinaryLoop {
  const index = layout === "same" ? "i" : layout === "channel" ? "j" : "0";
  const body = (left: string, right: string) => expr.replace("x", left).replace("y", right);
  const loop = (left: string, right: string) =>
    layout === "channel"
      ? `for (let r = 0; r < n; r += c) for (let j = 0; j < c; j++) { const i = r + j; out[i] = ${
        body(left, right)
      }; }`
      : `for (let i = 0; i < n; i++) out[i] = ${body(left, right)};`;
  return new Function(
    "out",
    "a",
    "b",
    "c",
    "swapped",
    `const n = out.length; if (swapped) { ${loop(`b[${index}]`, "a[i]")} } else { ${
      loop("a[i]", `b[${index}]`)
    } }`,
  ) as BinaryLoop;
}

function values(backend: CpuBackend, info: tf.TensorInfo): Float32Array {
  return backend.data.get(info.dataId).values as Float32Array;
}

/** Layout of `small` against `big`, or undefined when not one we cover. */
function layoutOf(big: number[], small: number[]): Layout | undefined {
  const size = tf.util.sizeFromShape(small);
  if (big.length === small.length && big.every((d, i) => d === small[i])) return "same";
  if (size === 1 && small.length <= big.length) return "scalar";
  const channels = big[big.length - 1];
  const leadingOnes = small.slice(0, -1).every((d) => d === 1);
  if (
    big.length >= 2 && small.length >= 1 && small.length <= big.length && leadingOnes &&
    small[small.length - 1] === channels
  ) return "channel";
  return undefined;
}

type StockKernels = Map<string, tf.KernelConfig>;

function binaryConfig(name: keyof typeof BINARY_OPS, stock: StockKernels): tf.KernelConfig {
  const loops = {
    same: compileLoop(BINARY_OPS[name], "same"),
    channel: compileLoop(BINARY_OPS[name], "channel"),
    scalar: compileLoop(BINARY_OPS[name], "scalar"),
  };
  return {
    kernelName: name,
    backendName: "cpu",
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const backend = args.backend as unknown as CpuBackend;
      if (a.dtype === "float32" && b.dtype === "float32") {
        const swapped = b.shape.length > a.shape.length ||
          tf.util.sizeFromShape(b.shape) > tf.util.sizeFromShape(a.shape);
        const [big, small] = swapped ? [b, a] : [a, b];
        const layout = layoutOf(big.shape, small.shape);
        if (layout) {
          const out = new Float32Array(tf.util.sizeFromShape(big.shape));
          loops[layout](
            out,
            values(backend, big),
            values(backend, small),
            big.shape.at(-1) ?? 1,
            swapped,
          );
          return backend.makeTensorInfo(big.shape, "float32", out);
        }
      }
      return stock.get(name)!.kernelFunc(args) as tf.TensorInfo;
    },
  };
}

/**
 * Sums x viewed as [outer, middle, inner] over the middle axis, accumulating in float64 (as the
 * stock kernel's JS numbers) in a fixed order; `scale` turns the sum into a mean. Covers any
 * contiguous run of reduced axes: all axes, all but the channel axis, the spatial axes.
 */
function reduceMiddle(
  x: Float32Array,
  outer: number,
  middle: number,
  inner: number,
  scale: number,
): Float32Array {
  const out = new Float32Array(outer * inner);
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    for (let m = 0; m < middle; m++) {
      const base = (o * middle + m) * inner;
      for (let j = 0; j < inner; j++) acc[j] += x[base + j];
    }
    for (let j = 0; j < inner; j++) out[o * inner + j] = acc[j] * scale;
  }
  return out;
}

function reductionConfig(
  name: typeof tf.Sum | typeof tf.Mean,
  stock: StockKernels,
): tf.KernelConfig {
  return {
    kernelName: name,
    backendName: "cpu",
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
      const backend = args.backend as unknown as CpuBackend;
      const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
      const contiguous = axes.length > 0 && axes.every((v, i) => v === axes[0] + i);
      if (x.dtype !== "float32" || !contiguous) {
        return stock.get(name)!.kernelFunc(args) as tf.TensorInfo;
      }
      const size = (dims: number[]) => tf.util.sizeFromShape(dims);
      const first = axes[0], end = axes[axes.length - 1] + 1;
      const middle = size(x.shape.slice(first, end));
      const out = reduceMiddle(
        values(backend, x),
        size(x.shape.slice(0, first)),
        middle,
        size(x.shape.slice(end)),
        name === tf.Mean ? 1 / middle : 1,
      );
      const shape = keepDims
        ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
        : x.shape.filter((_, i) => !axes.includes(i));
      return backend.makeTensorInfo(shape, "float32", out);
    },
  };
}

/**
 * Relu (`max(0, x)`, NaN stays NaN) and Step (`x > 0 ? 1 : alpha`, NaN stays NaN; tfjs's Relu
 * gradient is `dy · step(x)`) on float32, same results as the stock kernels' callbacks.
 */
function unaryConfigs(stock: StockKernels): tf.KernelConfig[] {
  const unary = (
    name: string,
    loop: (x: Float32Array, out: Float32Array, attrs: tf.NamedAttrMap) => void,
  ): tf.KernelConfig => ({
    kernelName: name,
    backendName: "cpu",
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (x.dtype !== "float32") return stock.get(name)!.kernelFunc(args) as tf.TensorInfo;
      const backend = args.backend as unknown as CpuBackend;
      const out = new Float32Array(tf.util.sizeFromShape(x.shape));
      loop(values(backend, x), out, args.attrs ?? {});
      return backend.makeTensorInfo(x.shape, "float32", out);
    },
  });
  return [
    unary(tf.Relu, (x, out) => {
      for (let i = 0; i < x.length; i++) out[i] = x[i] < 0 ? 0 : x[i];
    }),
    unary(tf.Step, (x, out, attrs) => {
      const alpha = (attrs as unknown as tf.StepAttrs).alpha;
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        out[i] = v > 0 ? 1 : v !== v ? NaN : alpha;
      }
    }),
  ];
}

/** Softmax over the last axis (the networks' class axis): max-shifted, summed in float64. */
function softmaxConfig(stock: StockKernels): tf.KernelConfig {
  return {
    kernelName: tf.Softmax,
    backendName: "cpu",
    kernelFunc: (args) => {
      const { logits } = args.inputs as { logits: tf.TensorInfo };
      const { dim } = args.attrs as unknown as tf.SoftmaxAttrs;
      const rank = logits.shape.length;
      if (logits.dtype !== "float32" || rank === 0 || (dim !== -1 && dim !== rank - 1)) {
        return stock.get(tf.Softmax)!.kernelFunc(args) as tf.TensorInfo;
      }
      const backend = args.backend as unknown as CpuBackend;
      const x = values(backend, logits);
      const k = logits.shape[rank - 1];
      const out = new Float32Array(x.length);
      for (let r = 0; r < x.length; r += k) {
        let max = -Infinity;
        for (let j = 0; j < k; j++) max = Math.max(max, x[r + j]);
        let sum = 0;
        for (let j = 0; j < k; j++) sum += out[r + j] = Math.exp(x[r + j] - max);
        for (let j = 0; j < k; j++) out[r + j] /= sum;
      }
      return backend.makeTensorInfo(logits.shape, "float32", out);
    },
  };
}

/** The element-wise and reduction kernel configs; `stock` holds the kernels they replace. */
export function elementwiseKernelConfigs(stock: StockKernels): tf.KernelConfig[] {
  return [
    ...(Object.keys(BINARY_OPS) as Array<keyof typeof BINARY_OPS>).map((n) =>
      binaryConfig(n, stock)
    ),
    reductionConfig(tf.Sum, stock),
    reductionConfig(tf.Mean, stock),
    ...unaryConfigs(stock),
    softmaxConfig(stock),
  ];
}
