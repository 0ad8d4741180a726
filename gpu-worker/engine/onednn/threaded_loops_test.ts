/**
 * The shim's threaded loops (elementwise_native.c, issue #13) give the JS kernels' bits: every
 * Add/Sub/Multiply/RealDiv layout, Sum/Mean over each kind of axis run, Transpose with the last
 * axis kept (memcpy rows) and moved (strided gather), and two SGD steps, at sizes above
 * THREADED_MIN_ELEMENTS, on 2 and 3 threads (3 splits rows and broadcast runs between threads).
 * Float32 tensors cast from bool or int32 keep a Uint8Array / Int32Array store: those must stay on
 * the JS loops (the Lu = NaN of the reverted 8914c3a). A counting wrapper around the loaded
 * library checks which path each case took.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine, shutdownEngine } from "../mod.ts";
import { SGD_MOMENTUM, type SgdMomentumAttrs } from "../elementwise_kernels.ts";
import { loadOneDnn, type OneDnn, THREADED_MIN_ELEMENTS } from "./library.ts";

type Loop = "binary" | "reduceMiddle" | "transpose" | "sgd";
interface Case {
  /** The native loop `op` must run on oneDNN, or undefined when it must stay on JS. */
  loop: Loop | undefined;
  inputs: () => tf.Tensor[];
  op: (inputs: tf.Tensor[]) => tf.Tensor;
}

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, "float32", seed);
/** A V-Net-like activation [N, D, H, W, C] of 49152 elements, above the threshold. */
const ACT = [2, 8, 12, 16, 16];
assert.ok(tf.util.sizeFromShape(ACT) >= THREADED_MIN_ELEMENTS);

/** `op` applied to `shapes` of random values. */
function on(
  loop: Loop | undefined,
  shapes: number[][],
  op: (inputs: tf.Tensor[]) => tf.Tensor,
): Case {
  return { loop, inputs: () => shapes.map((shape, i) => rand(shape, 7 * i + 1)), op };
}

/** Two SGD steps (weight decay on the second only) on [variable, grad, halfGrad]. */
function sgdSteps([variable, grad, halfGrad]: tf.Tensor[]): tf.Tensor {
  const step = (inputs: tf.NamedTensorMap, weightDecay: number) =>
    tf.engine().runKernel(
      SGD_MOMENTUM,
      inputs,
      {
        lr: 0.01,
        momentum: 0.9,
        weightDecay,
      } satisfies SgdMomentumAttrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
  const [w1, b1] = step({ variable, grad }, 0);
  const [w2, b2] = step({ variable: w1, grad: halfGrad, buffer: b1 }, 1e-4);
  return tf.concat([w2, b2]);
}

const CASES: Record<string, Case> = {
  add: on("binary", [ACT, ACT], ([a, b]) => tf.add(a, b)),
  sub: on("binary", [ACT, ACT], ([a, b]) => tf.sub(a, b)),
  mul: on("binary", [ACT, ACT], ([a, b]) => tf.mul(a, b)),
  div: on("binary", [ACT, ACT], ([a, b]) => tf.div(a, b)),
  mulScalar: on("binary", [ACT, []], ([a, b]) => tf.mul(a, b)),
  scalarSub: on("binary", [[], ACT], ([a, b]) => tf.sub(a, b)),
  scalarDiv: on("binary", [[], ACT], ([a, b]) => tf.div(a, b)),
  addChannel: on("binary", [ACT, [16]], ([a, b]) => tf.add(a, b)),
  channelDiv: on("binary", [[16], ACT], ([a, b]) => tf.div(a, b)),
  dropoutMask: on("binary", [ACT, [2, 1, 1, 1, 16]], ([a, b]) => tf.mul(a, b)),
  maskSub: on("binary", [[2, 1, 1, 1, 16], ACT], ([a, b]) => tf.sub(a, b)),
  // [..., 1] against [..., K]: the class axis, K = 2 and an odd 3.
  rowsDiv: on("binary", [[2, 32, 24, 16, 2], [2, 32, 24, 16, 1]], ([a, b]) => tf.div(a, b)),
  rowsSub: on("binary", [[4, 16, 12, 16, 1], [4, 16, 12, 16, 3]], ([a, b]) => tf.sub(a, b)),
  // tfjs's Cast shares a bool or int32 store: the JS loops must take these.
  oneMinusBoolMask: {
    loop: undefined,
    inputs: () => [tf.greaterEqual(rand(ACT, 1), 0).toFloat()],
    op: ([mask]) => tf.sub(1, mask),
  },
  intTimesFloat: {
    loop: undefined,
    inputs: () => [tf.cast(tf.cast(tf.mul(rand(ACT, 1), 3), "int32"), "float32"), rand(ACT, 2)],
    op: ([a, b]) => tf.mul(a, b),
  },
  boolMaskSum: {
    loop: undefined,
    inputs: () => [tf.greater(rand(ACT, 1), 0).toFloat()],
    op: ([mask]) => tf.sum(mask, [1, 2, 3]),
  },
  // Below the threshold: the JS loop.
  smallAdd: on(undefined, [[5, 7], [5, 7]], ([a, b]) => tf.add(a, b)),
  sumAll: on("reduceMiddle", [ACT], ([x]) => tf.sum(x)),
  sumSpatial: on("reduceMiddle", [ACT], ([x]) => tf.sum(x, [1, 2, 3])),
  sumBiasGrad: on("reduceMiddle", [ACT], ([x]) => tf.sum(x, [0, 1, 2, 3])),
  sumClassAxis: on("reduceMiddle", [ACT], ([x]) => tf.sum(x, -1, true)),
  meanMiddle: on("reduceMiddle", [ACT], ([x]) => tf.mean(x, [2, 3])),
  // 3000 outputs of one outer index: more than one 512-sum block per thread.
  meanWideInner: on("reduceMiddle", [[17, 3000]], ([x]) => tf.mean(x, 0)),
  // The V-Net up-conv's depth-to-space (rows of 4·Cout and 2·Cout contiguous floats).
  depthToSpace: on("transpose", [[16, 48, 2, 64]], ([x]) => tf.transpose(x, [0, 2, 1, 3])),
  lastAxisMoves: on("transpose", [ACT], ([x]) => tf.transpose(x, [4, 0, 1, 2, 3])),
  rank2: on("transpose", [[331, 101]], ([x]) => tf.transpose(x)),
  rank6: on("transpose", [[3, 4, 5, 6, 7, 17]], ([x]) => tf.transpose(x, [5, 1, 3, 0, 4, 2])),
  sgd: {
    loop: "sgd",
    inputs: () => [rand([40000], 1), rand([40000], 2), rand([40000], 3)],
    op: sgdSteps,
  },
};

/** Each case's output; `spy` is told when its op starts and ends. */
function runCase(c: Case, spy?: { start(): void; stop(): void }): Float32Array {
  return tf.tidy(() => {
    const inputs = c.inputs();
    spy?.start();
    try {
      return c.op(inputs).dataSync() as Float32Array;
    } finally {
      spy?.stop();
    }
  });
}

/** Wraps the library's loops to count their calls into `counts`; returns the undo. */
function countCalls(native: OneDnn, counts: Map<Loop, number>): () => void {
  const loops: Loop[] = ["binary", "reduceMiddle", "transpose", "sgd"];
  const originals = loops.map((loop) => [loop, native[loop]] as const);
  for (const loop of loops) {
    const original = native[loop] as (...args: unknown[]) => void;
    (native as unknown as Record<Loop, unknown>)[loop] = (...args: unknown[]) => {
      counts.set(loop, (counts.get(loop) ?? 0) + 1);
      original(...args);
    };
  }
  return () => {
    for (const [loop, fn] of originals) (native as unknown as Record<Loop, unknown>)[loop] = fn;
  };
}

const loaded = loadOneDnn(2);
const skip = "reason" in loaded ? ` (skipped: ${loaded.reason})` : "";

for (const threads of [2, 3]) {
  Deno.test({
    name: `threaded loops on ${threads} threads give the JS kernels' bits${skip}`,
    ignore: skip !== "",
    fn: async () => {
      if (!("library" in loaded)) return;
      try {
        await initEngine({ backend: "cpu", threads, cpuEngine: "wasm" });
        const js = Object.fromEntries(
          Object.entries(CASES).map(([name, c]) => [name, runCase(c)]),
        );
        const info = await initEngine({ backend: "cpu", threads, cpuEngine: "onednn" });
        assert.equal(info.cpuEngine, "onednn");
        for (const [name, c] of Object.entries(CASES)) {
          const counts = new Map<Loop, number>();
          let undo = () => {};
          const actual = runCase(c, {
            start: () => undo = countCalls(loaded.library, counts),
            stop: () => undo(),
          });
          if (c.loop) assert.ok(counts.get(c.loop), `${name}: native ${c.loop} not called`);
          else assert.equal(counts.size, 0, `${name}: native called ${[...counts.keys()]}`);
          const expected = js[name];
          assert.equal(actual.length, expected.length, `${name}: length`);
          const at = expected.findIndex((v, i) => !Object.is(v, actual[i]));
          assert.equal(at, -1, `${name}[${at}]: ${actual[at]}, JS ${expected[at]}`);
        }
      } finally {
        shutdownEngine();
      }
    },
  });
}
