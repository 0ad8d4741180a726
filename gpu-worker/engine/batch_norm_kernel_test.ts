/**
 * The fused batch norm's engine loops (batch_norm.c on the thread pool) give the same bits as its
 * JS loops: statistics (both roundings), forward and gradient, with and without ReLU, batch or
 * running statistics, with and without a conv bias folded in, channel counts with and without a
 * SIMD tail.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { channelMoments, fusedBatchNormRelu, inverseStd } from "./batch_norm_relu.ts";
import { initEngine, shutdownEngine } from "./mod.ts";

/** Statistics, output and gradients (x, γ, β[, bias]) of the fused op for an upstream gradient. */
function run(
  channels: number,
  relu: boolean,
  fromBatch: boolean,
  withBias: boolean,
): Float32Array[] {
  return tf.tidy(() => {
    const shape: [number, number, number, number, number] = [2, 3, 4, 5, channels];
    const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, "float32", 1), 2), 0.3) as tf.Tensor5D;
    const gamma = tf.randomUniform([channels], 0.5, 1.5, "float32", 2) as tf.Tensor1D;
    const beta = tf.randomUniform([channels], -0.5, 0.5, "float32", 3) as tf.Tensor1D;
    const dy = tf.randomNormal(shape, 0, 1, "float32", 4);
    const bias = withBias ? tf.randomUniform([channels], -1, 1, "float32", 5) : undefined;
    const { mean, variance } = channelMoments(
      x.dataSync() as Float32Array,
      bias?.dataSync() as Float32Array | undefined,
      channels,
      relu ? "divide-then-sum" : "sum-then-scale",
    );
    const stats = { mean, invStd: inverseStd(variance, 1e-5), fromBatch };
    const op = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, c?: tf.Tensor) =>
      fusedBatchNormRelu(
        a as tf.Tensor5D,
        g as tf.Tensor1D,
        b as tf.Tensor1D,
        stats,
        relu,
        c as tf.Tensor1D | undefined,
      );
    const inputs = bias ? [x, gamma, beta, bias] : [x, gamma, beta];
    const y = op(...(inputs as [tf.Tensor, tf.Tensor, tf.Tensor]));
    const grads = tf.grads(op)(inputs, dy);
    return [mean, variance, ...[y, ...grads].map((t) => t.dataSync() as Float32Array)];
  });
}

Deno.test("fused batch norm: engine loops give the JS loops' bits", async () => {
  const cases: Array<[number, boolean, boolean, boolean]> = [];
  for (const channels of [3, 16, 6]) {
    for (const relu of [true, false]) {
      for (const batch of [true, false]) {
        for (const bias of [false, true]) cases.push([channels, relu, batch, bias]);
      }
    }
  }
  await tf.setBackend("cpu");
  const js = cases.map((c) => run(...c));
  try {
    await initEngine({ backend: "cpu", threads: 3 });
    cases.forEach((c, i) => assert.deepStrictEqual(run(...c), js[i], `case ${c}`));
  } finally {
    shutdownEngine();
  }
});
