import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Rng } from "@llmseg/shared";
import { BatchNorm3d, ParameterStore, UpConv3d, upsampleTrilinear2x } from "./layers.ts";
import { createNetwork, NetworkConfigSchema } from "./network.ts";

await tf.setBackend("cpu");

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

Deno.test("matMul + depth-to-space up-conv equals tf.conv3dTranspose and has a gradient", () => {
  const store = new ParameterStore(new Rng(1));
  const up = new UpConv3d(store, "up", 3, 2);
  const x = tf.randomNormal([2, 3, 2, 4, 3], 0, 1, "float32", 1) as tf.Tensor5D;
  const ours = up.apply(x);
  const reference = tf.add(
    tf.conv3dTranspose(x, up.weight as tf.Tensor5D, [2, 6, 4, 8, 2], 2, "valid"),
    up.bias,
  );
  assert.deepEqual(ours.shape, [2, 6, 4, 8, 2]);
  assert.ok(maxAbsDiff(ours, reference) < 1e-6);
  const { grads } = tf.variableGrads(() => tf.sum(tf.square(up.apply(x))) as tf.Scalar, [
    up.weight,
  ]);
  assert.ok(tf.sum(tf.abs(grads[up.weight.name])).dataSync()[0] > 0);
  tf.dispose([x, ours, reference, ...Object.values(grads)]);
  store.dispose();
});

Deno.test("BatchNorm3d normalises with batch statistics and updates running stats as PyTorch", () => {
  const store = new ParameterStore(new Rng(1));
  const bn = new BatchNorm3d(store, "bn", 2);
  tf.tidy(() => {
    const x = tf.add(
      tf.mul(tf.randomNormal([2, 3, 3, 3, 2], 0, 1, "float32", 2), 3),
      1,
    ) as tf.Tensor5D;
    const y = bn.apply(x, true);
    const { mean, variance } = tf.moments(y, [0, 1, 2, 3]);
    assert.ok(tf.max(tf.abs(mean)).dataSync()[0] < 1e-5);
    assert.ok(tf.max(tf.abs(tf.sub(variance, 1))).dataSync()[0] < 1e-3);
    const stats = tf.moments(x, [0, 1, 2, 3]);
    const n = 2 * 27;
    const expectedVar = tf.add(0.9, tf.mul(stats.variance, (0.1 * n) / (n - 1)));
    assert.ok(maxAbsDiff(bn.runningMean, tf.mul(stats.mean, 0.1)) < 1e-6);
    assert.ok(maxAbsDiff(bn.runningVar, expectedVar) < 1e-5);
    const evalOut = bn.apply(x, false);
    const expectedEval = tf.div(tf.sub(x, bn.runningMean), tf.sqrt(tf.add(bn.runningVar, 1e-5)));
    assert.ok(maxAbsDiff(evalOut, expectedEval) < 1e-5);
  });
  store.dispose();
});

Deno.test("trilinear x2 matches align_corners=False interpolation by hand", () => {
  const x = tf.tensor5d([0, 1, 4], [1, 3, 1, 1, 1]);
  const y = upsampleTrilinear2x(x);
  assert.deepEqual(y.shape, [1, 6, 2, 2, 1]);
  // src = (o + 0.5)/2 − 0.5 clamped at 0: 0, 0.25, 0.75, 1.75, 3.25, 4 along axis 1.
  const along = tf.slice(y, [0, 0, 1, 0, 0], [1, 6, 1, 1, 1]).dataSync();
  assert.deepEqual(Array.from(along), [0, 0.25, 0.75, 1.75, 3.25, 4]);
});

for (const arch of ["vnet", "unet3d"] as const) {
  Deno.test(`${arch}: a training step has gradients for every trainable variable and leaks no tensors`, () => {
    const knowledge = new Float32Array(8).fill(0.5);
    const config = NetworkConfigSchema.parse({
      arch,
      width: 2,
      beta: 1,
      knowledgeDim: 8,
      textHidden: 4,
    });
    const net = createNetwork(config, 5, knowledge);
    const rng = new Rng(9);
    const x = tf.randomNormal([2, 16, 16, 16, 1], 0, 1, "float32", 4) as tf.Tensor5D;
    const optimizer = tf.train.sgd(0.01);
    const step = (): void => {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.mean(tf.square(net.apply(x, { training: true, rng }))) as tf.Scalar,
          net.trainableVariables,
        );
        assert.equal(Object.keys(grads).length, net.trainableVariables.length);
        for (const g of Object.values(grads)) assert.ok(Number.isFinite(tf.sum(g).dataSync()[0]));
        optimizer.applyGradients(grads);
        value.dispose();
      });
    };
    step();
    const before = tf.memory().numTensors;
    step();
    step();
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    optimizer.dispose();
    net.dispose();
  });
}
