/**
 * tfjs cpu-backend kernels for the element-wise and reduction ops the V-Net's batch norm, bias and
 * their gradients hit hardest (issue #4: after the convolutions, the profiler showed Multiply, Sum,
 * Mean, Sub and Add taking most of a training step in the stock kernels' generic broadcasting).
 * Covered: float32 Add/Sub/Multiply/RealDiv of equal shapes or with the smaller operand broadcast
 * along one run of axes (a scalar, a per-channel vector, a Dropout3d mask `[N, 1, 1, 1, C]`, a
 * per-voxel `[..., 1]` against `[..., K]`: issue #13, the generic broadcast took ~90 ns/element);
 * Sum/Mean over any contiguous run of axes; Neg, Log, Exp, Relu, Step, and Softmax over the last
 * axis.
 * Everything else goes to the stock kernel. Plain JS: these ops are memory-bound, and working on
 * the backend's arrays in place avoids copying into the wasm memory and back. Where the oneDNN shim
 * is loaded, large binary ops, sums and SGD updates run its threaded loops instead
 * (elementwise_native.c, same bits; {@link threadedLoops} decides).
 */
import * as tf from "@tensorflow/tfjs";
import { asCpu, float32Store } from "./cpu_backend.ts";
import { BinaryOp, type OneDnn, threadedLoops } from "./onednn/library.ts";
import { runStock, type StockKernels } from "./stock_kernels.ts";

/**
 * How the small operand is indexed against the big one, the big one viewed as
 * `[outer, middle, inner]` and the small one as `[outer, 1, inner]` (its size-1 axes one run):
 * "same" (middle 1), "scalar" (outer = inner = 1), "channel" (outer 1: a per-channel vector),
 * "rows" (inner 1: `[..., 1]` against `[..., K]`), "block" (e.g. a Dropout3d mask `[N, 1, 1, 1, C]`).
 */
type Layout = "same" | "scalar" | "channel" | "rows" | "block";
interface Broadcast {
  layout: Layout;
  middle: number;
  inner: number;
}
type BinaryLoop = (
  out: Float32Array,
  a: Float32Array,
  b: Float32Array,
  middle: number,
  inner: number,
  swapped: boolean,
) => void;

const BINARY_OPS = {
  [tf.Add]: "x + y",
  [tf.Sub]: "x - y",
  [tf.Multiply]: "x * y",
  [tf.RealDiv]: "x / y",
} as const;

/** The loop over the big operand's flat index `p`, with `b[index]` the small operand's value. */
const LOOPS: Record<Layout, { index: string; loop: (body: string) => string }> = {
  same: { index: "p", loop: (body) => `for (let p = 0; p < n; p++) ${body}` },
  scalar: { index: "0", loop: (body) => `for (let p = 0; p < n; p++) ${body}` },
  channel: {
    index: "j",
    loop: (body) =>
      `for (let r = 0; r < n; r += inner) for (let j = 0; j < inner; j++) { const p = r + j; ${body} }`,
  },
  rows: {
    index: "o",
    loop: (body) =>
      `for (let p = 0, o = 0; p < n; o++) for (let m = 0; m < middle; m++, p++) ${body}`,
  },
  block: {
    index: "o + j",
    loop: (body) =>
      `for (let p = 0, o = 0; p < n; o += inner) for (let m = 0; m < middle; m++) ` +
      `for (let j = 0; j < inner; j++, p++) ${body}`,
  },
};

/**
 * One loop per op and layout, generated so each is monomorphic (a shared loop calling an op
 * callback is several times slower in V8). `a` is the full-size operand; when `swapped`, the
 * small operand `b` is the op's left side.
 */
function compileLoop(expr: string, layout: Layout): BinaryLoop {
  const { index, loop } = LOOPS[layout];
  const body = (left: string, right: string) =>
    `out[p] = ${expr.replace("x", left).replace("y", right)};`;
  return new Function(
    "out",
    "a",
    "b",
    "middle",
    "inner",
    "swapped",
    `const n = out.length; if (swapped) { ${loop(body(`b[${index}]`, "a[p]"))} } else { ${
      loop(body("a[p]", `b[${index}]`))
    } }`,
  ) as BinaryLoop;
}

/**
 * How `small` broadcasts against `big` (numpy rules), or undefined when its size-1 axes are not
 * one run (or it does not broadcast): then the stock kernel runs.
 */
export function broadcastOf(big: number[], small: number[]): Broadcast | undefined {
  if (small.length > big.length) return undefined;
  const padded = [...new Array(big.length - small.length).fill(1), ...small];
  // Per axis: "k" kept (same size), "b" broadcast; size-1 axes of `big` go either way.
  let kinds = "", outer = 1, middle = 1, inner = 1;
  for (let d = 0; d < big.length; d++) {
    if (big[d] === 1 && padded[d] !== 1) return undefined;
    if (big[d] === 1) continue;
    if (padded[d] === big[d]) {
      kinds += "k";
      if (kinds.includes("b")) inner *= big[d];
      else outer *= big[d];
    } else if (padded[d] === 1) {
      kinds += "b";
      middle *= big[d];
    } else return undefined;
  }
  if (!/^k*b*k*$/.test(kinds)) return undefined;
  const layout: Layout = middle === 1
    ? "same"
    : outer * inner === 1
    ? "scalar"
    : outer === 1
    ? "channel"
    : inner === 1
    ? "rows"
    : "block";
  return { layout, middle, inner };
}

function binaryConfig(
  name: keyof typeof BINARY_OPS,
  stock: StockKernels,
  native: OneDnn | undefined,
): tf.KernelConfig {
  const loops = Object.fromEntries(
    (Object.keys(LOOPS) as Layout[]).map((
      layout,
    ) => [layout, compileLoop(BINARY_OPS[name], layout)]),
  ) as Record<Layout, BinaryLoop>;
  return {
    kernelName: name,
    backendName: "cpu",
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const backend = asCpu(args.backend);
      if (a.dtype === "float32" && b.dtype === "float32") {
        const swapped = b.shape.length > a.shape.length ||
          tf.util.sizeFromShape(b.shape) > tf.util.sizeFromShape(a.shape);
        const [big, small] = swapped ? [b, a] : [a, b];
        const broadcast = broadcastOf(big.shape, small.shape);
        if (broadcast) {
          const out = new Float32Array(tf.util.sizeFromShape(big.shape));
          const [x, y] = [float32Store(backend, big), float32Store(backend, small)];
          const { layout, middle, inner } = broadcast;
          const threaded = threadedLoops(native, out.length, [x, y]);
          if (threaded) threaded.binary(BinaryOp[name], swapped, middle, inner, x, y, out);
          else loops[layout](out, x, y, middle, inner, swapped);
          return backend.makeTensorInfo(big.shape, "float32", out);
        }
      }
      return runStock(stock, name, args);
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
  native: OneDnn | undefined,
): Float32Array {
  const out = new Float32Array(outer * inner);
  const threaded = threadedLoops(native, x.length, [x]);
  if (threaded) {
    threaded.reduceMiddle(outer, middle, inner, scale, x, out);
    return out;
  }
  if (inner === 1) {
    // Reduction over the last axes (e.g. the class axis): one float64 running sum per output.
    for (let o = 0, p = 0; o < outer; o++) {
      let sum = 0;
      for (let m = 0; m < middle; m++, p++) sum += x[p];
      out[o] = sum * scale;
    }
    return out;
  }
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
  native: OneDnn | undefined,
): tf.KernelConfig {
  return {
    kernelName: name,
    backendName: "cpu",
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
      const backend = asCpu(args.backend);
      const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
      const contiguous = axes.length > 0 && axes.every((v, i) => v === axes[0] + i);
      if (x.dtype !== "float32" || !contiguous) {
        return runStock(stock, name, args);
      }
      const size = (dims: number[]) => tf.util.sizeFromShape(dims);
      const first = axes[0], end = axes[axes.length - 1] + 1;
      const middle = size(x.shape.slice(first, end));
      const out = reduceMiddle(
        float32Store(backend, x),
        size(x.shape.slice(0, first)),
        middle,
        size(x.shape.slice(end)),
        name === tf.Mean ? 1 / middle : 1,
        native,
      );
      const shape = keepDims
        ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
        : x.shape.filter((_, i) => !axes.includes(i));
      return backend.makeTensorInfo(shape, "float32", out);
    },
  };
}

/**
 * Neg, Log, Exp (issue #13: the stock kernels' per-element callbacks took 20-30 ns/element), Relu
 * (`max(0, x)`, NaN stays NaN) and Step (`x > 0 ? 1 : alpha`, NaN stays NaN; tfjs's Relu
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
      if (x.dtype !== "float32") return runStock(stock, name, args);
      const backend = asCpu(args.backend);
      const out = new Float32Array(tf.util.sizeFromShape(x.shape));
      loop(float32Store(backend, x), out, args.attrs ?? {});
      return backend.makeTensorInfo(x.shape, "float32", out);
    },
  });
  return [
    // Neg as the stock kernel's −1 · x; Log and Exp as its Math.log / Math.exp callbacks.
    unary(tf.Neg, (x, out) => {
      for (let i = 0; i < x.length; i++) out[i] = -x[i];
    }),
    unary(tf.Log, (x, out) => {
      for (let i = 0; i < x.length; i++) out[i] = Math.log(x[i]);
    }),
    unary(tf.Exp, (x, out) => {
      for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]);
    }),
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
        return runStock(stock, tf.Softmax, args);
      }
      const backend = asCpu(args.backend);
      const x = float32Store(backend, logits);
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

/** Name of the fused SGD-with-momentum update kernel (no stock counterpart; see {@link sgdConfig}). */
export const SGD_MOMENTUM = "LlmsegSgdMomentum";

/** Attributes of {@link SGD_MOMENTUM}. */
export interface SgdMomentumAttrs {
  lr: number;
  momentum: number;
  weightDecay: number;
}

/**
 * PyTorch SGD's update for one parameter in one pass (issue #13: op by op it was 6 passes and 5
 * new arrays per parameter): `g = grad + wd·w`, `buf = μ·buffer + g` (`buf = g` without a
 * buffer), `w − lr·buf` into nextW, nextBuffer. Every product and sum is rounded to float32 as the
 * op-by-op update rounds it (scalars as float32 tensors), so the two give the same bits.
 */
function sgdLoop(
  w: Float32Array,
  g: Float32Array,
  previous: Float32Array | undefined,
  { lr, momentum, weightDecay }: SgdMomentumAttrs,
  nextW: Float32Array,
  nextBuffer: Float32Array,
): void {
  const f = Math.fround;
  const [rate, mu, decay] = [f(lr), f(momentum), f(weightDecay)];
  for (let i = 0; i < w.length; i++) {
    const gi = decay === 0 ? g[i] : f(g[i] + f(w[i] * decay));
    const bi = previous ? f(f(previous[i] * mu) + gi) : gi;
    nextBuffer[i] = bi;
    nextW[i] = w[i] - f(bi * rate);
  }
}

/**
 * The fused SGD-with-momentum kernel ({@link sgdLoop}, or the shim's threaded copy of it for large
 * parameters): inputs `variable`, `grad` and, after the first step, `buffer`; outputs
 * `[next variable, next buffer]`.
 */
function sgdConfig(native: OneDnn | undefined): tf.KernelConfig {
  return {
    kernelName: SGD_MOMENTUM,
    backendName: "cpu",
    kernelFunc: (args) => {
      const { variable, grad, buffer } = args.inputs as Record<string, tf.TensorInfo | undefined>;
      const hyper = args.attrs as unknown as SgdMomentumAttrs;
      const backend = asCpu(args.backend);
      const w = float32Store(backend, variable!), g = float32Store(backend, grad!);
      const previous = buffer && float32Store(backend, buffer);
      const nextW = new Float32Array(w.length), nextBuffer = new Float32Array(w.length);
      const threaded = threadedLoops(native, w.length, previous ? [w, g, previous] : [w, g]);
      if (threaded) threaded.sgd(w, g, previous, hyper, nextW, nextBuffer);
      else sgdLoop(w, g, previous, hyper, nextW, nextBuffer);
      return [
        backend.makeTensorInfo(variable!.shape, "float32", nextW),
        backend.makeTensorInfo(variable!.shape, "float32", nextBuffer),
      ];
    },
  };
}

/**
 * The element-wise and reduction kernel configs and the fused SGD update; `stock` holds the
 * kernels they replace; `native`, when loaded, runs the large ones on its threads.
 */
export function elementwiseKernelConfigs(
  stock: StockKernels,
  native?: OneDnn,
): tf.KernelConfig[] {
  return [
    ...(Object.keys(BINARY_OPS) as Array<keyof typeof BINARY_OPS>).map((n) =>
      binaryConfig(n, stock, native)
    ),
    reductionConfig(tf.Sum, stock, native),
    reductionConfig(tf.Mean, stock, native),
    ...unaryConfigs(stock),
    softmaxConfig(stock),
    sgdConfig(native),
  ];
}
