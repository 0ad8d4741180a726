import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Rng } from "@llmseg/shared";
import { BatchNorm3d, ParameterStore } from "./layers.ts";

await tf.setBackend("cpu");

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** A BatchNorm3d with non-trivial γ, β and running statistics (same for every call). */
function makeBn(channels: number): { bn: BatchNorm3d; store: ParameterStore } {
  const store = new ParameterStore(new Rng(7));
  const bn = new BatchNorm3d(store, "bn", channels);
  tf.tidy(() => {
    bn.weight.assign(tf.randomUniform([channels], 0.5, 1.5, "float32", 11));
    bn.bias.assign(tf.randomUniform([channels], -0.5, 0.5, "float32", 12));
    bn.runningMean.assign(tf.randomUniform([channels], -1, 1, "float32", 13));
    bn.runningVar.assign(tf.randomUniform([channels], 0.5, 2, "float32", 14));
  });
  return { bn, store };
}

/** Output, gradients of Σ w·y in x, γ, β, and the running stats after the call. */
function run(
  apply: (bn: BatchNorm3d, x: tf.Tensor5D) => tf.Tensor5D,
  x: tf.Tensor5D,
  w: tf.Tensor,
): tf.Tensor[] {
  const { bn, store } = makeBn(x.shape[4]);
  let y: tf.Tensor | undefined;
  const lossOf = (xIn: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Scalar => {
    // Route γ and β through the layer's variables by substituting them for the call.
    const saved = { weight: bn.weight, bias: bn.bias };
    Object.assign(bn, { weight: gamma, bias: beta });
    try {
      y = tf.keep(apply(bn, xIn as tf.Tensor5D));
    } finally {
      Object.assign(bn, saved);
    }
    return tf.sum(tf.mul(y, w));
  };
  const grads = tf.grads(lossOf)([x, tf.clone(bn.weight), tf.clone(bn.bias)]);
  const out = [y!, ...grads, tf.clone(bn.runningMean), tf.clone(bn.runningVar)];
  store.dispose();
  return out;
}

const names = ["y", "dx", "dγ", "dβ", "running mean", "running var"];

for (const training of [true, false]) {
  for (const relu of [true, false]) {
    Deno.test(`fused BN${relu ? "+ReLU" : ""} (${training ? "train" : "eval"}) equals the tf-op composition, values and gradients`, () => {
      // Odd shape, off-centre data, channels not a power of two.
      const x = tf.tidy(() =>
        tf.add(tf.mul(tf.randomNormal([2, 3, 5, 7, 3], 0, 1, "float32", 3), 2.5), 0.7)
      ) as tf.Tensor5D;
      const w = tf.randomNormal(x.shape, 0, 1, "float32", 4);
      const fused = run((bn, xIn) => bn.apply(xIn, training, relu), x, w);
      const composed = run((bn, xIn) => bn.applyComposed(xIn, training, relu), x, w);
      for (let i = 0; i < names.length; i++) {
        const diff = maxAbsDiff(fused[i], composed[i]);
        const scale = tf.tidy(() => tf.max(tf.abs(composed[i])).dataSync()[0]);
        // The forward (statistics too) is bit-identical; gradients differ in rounding order only.
        const tolerance = i === 0 || i >= 4 ? 0 : 2e-5 * Math.max(scale, 1);
        assert.ok(diff <= tolerance, `${names[i]}: max |fused − composed| ${diff} > ${tolerance}`);
      }
      // The ReLU must actually clip something, or the masked gradient would go untested.
      if (relu) assert.ok(tf.tidy(() => tf.sum(tf.equal(fused[0], 0)).dataSync()[0]) > 0);
      tf.dispose([x, w, ...fused, ...composed]);
    });
  }
}

Deno.test("fused BN gradient in x matches central finite differences", () => {
  const x = tf.randomNormal([1, 3, 2, 5, 2], 1, 2, "float32", 5) as tf.Tensor5D;
  const w = tf.randomNormal(x.shape, 0, 1, "float32", 6);
  const { bn, store } = makeBn(2);
  const loss = (xIn: tf.Tensor): tf.Scalar =>
    tf.sum(tf.mul(bn.apply(xIn as tf.Tensor5D, true, true), w));
  const dx = tf.grad(loss)(x).dataSync();
  const xs = x.dataSync().slice();
  const h = 1e-2;
  for (const i of [0, 7, 13, 22, 29]) {
    const at = (delta: number): number =>
      tf.tidy(() => {
        const shifted = xs.slice();
        shifted[i] += delta;
        return loss(tf.tensor(shifted, x.shape)).dataSync()[0];
      });
    const numeric = (at(h) - at(-h)) / (2 * h);
    assert.ok(
      Math.abs(numeric - dx[i]) < 2e-2 * Math.max(1, Math.abs(numeric)),
      `x[${i}]: ${numeric} vs ${dx[i]}`,
    );
  }
  tf.dispose([x, w]);
  store.dispose();
});

for (const training of [true, false]) {
  Deno.test(`fused BN+ReLU with the conv bias folded in (${training ? "train" : "eval"}) gives the bits of adding it first`, () => {
    const x = tf.randomNormal([2, 3, 5, 7, 3], 0.4, 2, "float32", 8) as tf.Tensor5D;
    const b = tf.randomUniform([3], -1, 1, "float32", 9) as tf.Tensor1D;
    const w = tf.randomNormal(x.shape, 0, 1, "float32", 10);
    const run = (folded: boolean): Float32Array[] => {
      const { bn, store } = makeBn(3);
      const f = (xIn: tf.Tensor, bIn: tf.Tensor) => {
        const y = folded
          ? bn.apply(xIn as tf.Tensor5D, training, true, bIn as tf.Tensor1D)
          : bn.apply(tf.add(xIn, bIn) as tf.Tensor5D, training, true);
        return tf.sum(tf.mul(y, w));
      };
      const y = folded ? bn.apply(x, training, true, b) : bn.apply(tf.add(x, b), training, true);
      const out = [y, ...tf.grads(f)([x, b])].map((t) => t.dataSync() as Float32Array);
      store.dispose();
      return out;
    };
    assert.deepStrictEqual(run(true), run(false));
    tf.dispose([x, b, w]);
  });
}
