import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { releaseTapeEarly } from "./tape_release.ts";

await tf.setBackend("cpu");
releaseTapeEarly();

/** A marker at the start of the tape: its gradient runs last and records the live tensor count. */
function countAtEnd(record: (n: number) => void): (x: tf.Tensor) => tf.Tensor {
  return tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(inputs[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => {
      record(tf.memory().numTensors);
      return [tf.mul(dy, 1)];
    },
  })) as (x: tf.Tensor) => tf.Tensor;
}

/** Gradient of a `depth`-layer chain and the tensors alive when backprop reaches its start. */
function chain(depth: number): { grad: Float32Array; liveAtEnd: number } {
  const x = tf.tidy(() => tf.variable(tf.linspace(-1, 1, 64)));
  let liveAtEnd = 0;
  const { value, grads } = tf.variableGrads(() => {
    let y = countAtEnd((n) => (liveAtEnd = n))(x);
    for (let i = 0; i < depth; i++) y = tf.mul(tf.sin(y), 1.01);
    return tf.sum(y);
  }, [x]);
  const grad = grads[x.name].dataSync() as Float32Array;
  tf.dispose([value, grads[x.name], x]);
  return { grad, liveAtEnd };
}

Deno.test("backprop frees saved tensors and gradients behind it: live tensors do not grow with depth", () => {
  const shallow = chain(5), deep = chain(60);
  // Without the early release each layer keeps ~4 saved clones and ~2 gradients to the end.
  assert.ok(
    deep.liveAtEnd - shallow.liveAtEnd < 10,
    `live tensors at the end of backprop: ${shallow.liveAtEnd} (5 layers), ${deep.liveAtEnd} (60)`,
  );
});

Deno.test("gradients are unchanged, a gradient passed through as-is included", () => {
  const before = tf.memory().numTensors;
  const { grad } = chain(3);
  const expected = tf.tidy(() => {
    let s = tf.linspace(-1, 1, 64);
    let d = tf.onesLike(s);
    for (let i = 0; i < 3; i++) {
      d = tf.mul(d, tf.mul(tf.cos(s), 1.01));
      s = tf.mul(tf.sin(s), 1.01);
    }
    return d.dataSync() as Float32Array;
  });
  for (let i = 0; i < grad.length; i++) assert.ok(Math.abs(grad[i] - expected[i]) < 1e-5);
  const passThrough = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.mul(inputs[0] as tf.Tensor, 2),
    gradFunc: (dy: tf.Tensor) => [dy],
  })) as (x: tf.Tensor) => tf.Tensor;
  const g = tf.tidy(() =>
    tf.grad((x: tf.Tensor) => tf.sum(tf.square(passThrough(x))))(tf.ones([4])).dataSync()
  );
  assert.deepEqual([...g], [4, 4, 4, 4]);
  assert.equal(tf.memory().numTensors, before);
});
