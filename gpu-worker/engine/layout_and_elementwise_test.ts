/**
 * The BatchMatMul, element-wise, reduction, gather, Transpose and Reverse kernels against tfjs's
 * stock cpu kernels, including the shapes they hand back to the stock kernels (which must still be
 * right).
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine, shutdownEngine } from "./mod.ts";
import { broadcastOf } from "./elementwise_kernels.ts";

type Op = () => tf.Tensor;
const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, "float32", seed);

const OPS: Record<string, Op> = {
  "matMul 37x13 · 13x10": () => tf.matMul(rand([37, 13], 1), rand([13, 10], 2)),
  "matMul A·Bᵀ 30x6 · (9x6)ᵀ": () => tf.matMul(rand([30, 6], 3), rand([9, 6], 4), false, true),
  "matMul Aᵀ·B (41x7)ᵀ · 41x5": () => tf.matMul(rand([41, 7], 5), rand([41, 5], 6), true, false),
  "matMul Aᵀ·Bᵀ (stock)": () => tf.matMul(rand([4, 7], 7), rand([5, 4], 8), true, true),
  "batched matMul (stock)": () => tf.matMul(rand([2, 5, 3], 9), rand([2, 3, 4], 10)),
  "add same shape": () => tf.add(rand([2, 3, 4, 5, 7], 11), rand([2, 3, 4, 5, 7], 12)),
  "sub per-channel": () => tf.sub(rand([2, 3, 4, 5, 7], 13), rand([7], 14)),
  "sub per-channel, swapped": () => tf.sub(rand([1, 1, 1, 1, 7], 15), rand([2, 3, 4, 5, 7], 16)),
  "mul scalar": () => tf.mul(rand([3, 5, 6], 17), tf.scalar(1.7)),
  "div by per-channel": () => tf.div(rand([4, 6, 9], 18), tf.abs(rand([9], 19)).add(0.5)),
  "mul Dropout3d mask [N,1,1,1,C]": () =>
    tf.mul(rand([2, 3, 4, 5, 7], 20), rand([2, 1, 1, 1, 7], 21)),
  "mul middle broadcast, swapped": () => tf.mul(rand([3, 1, 5], 37), rand([3, 4, 5], 38)),
  "sub per-voxel [...,1] from [...,K]": () =>
    tf.sub(rand([2, 3, 4, 2], 39), rand([2, 3, 4, 1], 40)),
  "div [...,1] by [...,K], swapped": () => tf.div(rand([2, 3, 1], 41), rand([2, 3, 4], 42).abs()),
  "mul two-run broadcast (stock)": () => tf.mul(rand([4, 5, 6], 43), rand([1, 5, 1], 44)),
  "add both broadcast (stock)": () => tf.add(rand([3, 1, 5], 45), rand([1, 4, 1], 46)),
  "sum all": () => tf.sum(rand([2, 3, 4, 5, 6], 22)),
  "sum leading axes": () => tf.sum(rand([2, 3, 4, 5, 6], 23), [0, 1, 2, 3]),
  "sum spatial axes keepDims": () => tf.sum(rand([2, 3, 4, 5, 6], 24), [1, 2, 3], true),
  "sum non-contiguous (stock)": () => tf.sum(rand([2, 3, 4, 5], 25), [0, 2]),
  "mean spatial": () => tf.mean(rand([2, 3, 4, 5, 6], 26), [1, 2, 3]),
  "moments over leading axes": () => tf.moments(rand([2, 5, 3, 4, 9], 27), [0, 1, 2, 3]).variance,
  "relu with NaN and -0": () => tf.relu(tf.concat([rand([50], 31), tf.tensor1d([NaN, -0, 0])])),
  "relu gradient (step)": () =>
    tf.grad((x: tf.Tensor) => tf.relu(x).mul(rand([60], 33)).sum())(rand([60], 32)),
  "softmax over classes": () => tf.softmax(rand([2, 3, 4, 5, 3], 34).mul(4)),
  "softmax gradient": () =>
    tf.grad((x: tf.Tensor) => tf.softmax(x).mul(rand([6, 5], 36)).sum())(rand([6, 5], 35)),
  "transpose middle axes": () => tf.transpose(rand([3, 5, 2, 8], 28), [0, 2, 1, 3]),
  "transpose rank 5": () => tf.transpose(rand([2, 3, 4, 5, 6], 29), [3, 0, 2, 1, 4]),
  "transpose long runs": () => tf.transpose(rand([2, 3, 2, 300], 47), [0, 2, 1, 3]),
  "neg with -0": () => tf.neg(tf.concat([rand([40], 48), tf.tensor1d([0, -0])])),
  "log and exp": () => tf.add(tf.log(tf.abs(rand([50], 49))), tf.exp(rand([50], 50))),
  "sum over the class axis": () => tf.sum(rand([2, 3, 4, 5, 2], 51), -1),
  "gather samples (CutMix partner)": () =>
    tf.gather(rand([3, 4, 5, 2], 52), tf.tensor1d([2, 0, 1, 0], "int32")),
  "gather along axis 1 (stock)": () => tf.gather(rand([3, 4, 5], 53), [1, 3], 1),
  "gather gradient (segment sum)": () =>
    tf.grad((x: tf.Tensor) => tf.gather(x, [1, 0, 1]).mul(rand([3, 4, 3], 55)).sum())(
      rand([2, 4, 3], 54),
    ),
  "segment sum, an id out of range dropped": () =>
    tf.unsortedSegmentSum(rand([4, 3, 2], 56), tf.tensor1d([0, 2, -1, 2], "int32"), 3),
  "transpose last axis moved": () => tf.transpose(rand([3, 5, 4], 30), [2, 0, 1]),
  "transpose up-conv weight": () => tf.transpose(rand([2, 2, 2, 3, 5], 57), [4, 0, 1, 2, 3]),
  "reverse a window's spatial axes": () => tf.reverse(rand([1, 3, 4, 5, 2], 61), [1, 2, 3]),
  "reverse the last axis": () => tf.reverse(rand([2, 3, 7], 62), -1),
  "reverse a middle axis of rank 5": () => tf.reverse(rand([2, 3, 4, 5, 6], 63), [2]),
  "reverse int32 (stock)": () => tf.reverse(tf.range(0, 12, 1, "int32").reshape([3, 4]), 1),
  "transpose identity": () => tf.transpose(rand([2, 3, 4], 58), [0, 1, 2]),
  "transpose 1-D": () => tf.transpose(rand([7], 59)),
};

function run(): Map<string, { shape: number[]; values: Float32Array }> {
  const out = new Map();
  for (const [name, op] of Object.entries(OPS)) {
    const t = tf.tidy(op);
    out.set(name, { shape: t.shape, values: t.dataSync() as Float32Array });
    t.dispose();
  }
  return out;
}

Deno.test("matMul, element-wise, reduction, gather, transpose and reverse kernels match the stock cpu kernels", async () => {
  await tf.setBackend("cpu");
  const stock = run();
  try {
    await initEngine({ backend: "cpu", threads: 2 });
    const fast = run();
    for (const [name, expected] of stock) {
      const actual = fast.get(name)!;
      assert.deepEqual(actual.shape, expected.shape, `${name}: shape`);
      const scale = Math.max(
        ...expected.values.filter((v) => !Number.isNaN(v)).map(Math.abs),
        1e-6,
      );
      actual.values.forEach((v, i) => {
        const e = expected.values[i];
        assert.ok(
          Object.is(v, e) || Math.abs(v - e) <= 1e-4 * Math.max(Math.abs(e), 1e-2 * scale),
          `${name}[${i}]: ${v} vs stock ${e}`,
        );
      });
    }
  } finally {
    shutdownEngine();
  }
});

Deno.test("broadcastOf picks the loop for each operand layout, stock for the rest", () => {
  const layout = (big: number[], small: number[]) => broadcastOf(big, small)?.layout;
  assert.equal(layout([2, 3, 4, 5, 7], [2, 3, 4, 5, 7]), "same");
  assert.equal(layout([2, 3, 4, 5, 7], []), "scalar");
  assert.equal(layout([2, 3, 4, 5, 7], [1, 1, 1, 1, 1]), "scalar");
  assert.equal(layout([2, 3, 4, 5, 7], [7]), "channel");
  assert.deepEqual(broadcastOf([2, 3, 4, 5, 7], [2, 1, 1, 1, 7]), {
    layout: "block",
    middle: 60,
    inner: 7,
  });
  assert.deepEqual(broadcastOf([2, 3, 4, 2], [2, 3, 4, 1]), {
    layout: "rows",
    middle: 2,
    inner: 1,
  });
  // A size-1 axis of the big operand belongs to either run.
  assert.equal(layout([1, 3, 4, 5, 7], [1, 1, 1, 1, 7]), "channel");
  assert.equal(layout([4, 5, 6], [1, 5, 1]), undefined);
  assert.equal(layout([4, 5, 6], [4, 2, 6]), undefined);
  assert.equal(layout([3, 1, 5], [1, 4, 1]), undefined);
});
