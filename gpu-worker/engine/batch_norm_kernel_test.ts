/**
 * The fused batch norm's engine loops (batch_norm.c on the WebAssembly thread pool, and natively in
 * the oneDNN shim where it is built) give the same bits as its JS loops: statistics (both
 * roundings), forward and gradient, with and without ReLU, batch or running statistics, with and
 * without a conv bias folded in, channel counts with and without a SIMD tail, and an odd channel
 * count (17) over 756 voxels.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { channelMoments, fusedBatchNormRelu, inverseStd } from "./batch_norm_relu.ts";
import { initEngine, shutdownEngine } from "./mod.ts";
import { loadOneDnn } from "./onednn/library.ts";

type Shape5 = [number, number, number, number, number];

/** Statistics, output and gradients (x, γ, β[, bias]) of the fused op for an upstream gradient. */
function run(
  [n, d, h, w]: number[],
  channels: number,
  relu: boolean,
  fromBatch: boolean,
  withBias: boolean,
): Float32Array[] {
  return tf.tidy(() => {
    const shape: Shape5 = [n, d, h, w, channels];
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

const cases: Array<[number[], number, boolean, boolean, boolean]> = [];
for (
  const [shape, channels] of [[[2, 3, 4, 5], 3], [[2, 3, 4, 5], 16], [[2, 3, 4, 5], 6], [
    [2, 7, 6, 9],
    17,
  ]] as Array<[number[], number]>
) {
  for (const relu of [true, false]) {
    for (const batch of [true, false]) {
      for (const bias of [false, true]) cases.push([shape, channels, relu, batch, bias]);
    }
  }
}

/** Runs the cases in JS, then on `cpuEngine`'s loops, and compares the bits. */
async function compareWithJs(cpuEngine: "wasm" | "onednn"): Promise<void> {
  await tf.setBackend("cpu");
  const js = cases.map((c) => run(...c));
  try {
    const info = await initEngine({ backend: "cpu", threads: 3, cpuEngine });
    assert.equal(info.cpuEngine, cpuEngine);
    cases.forEach((c, i) => assert.deepStrictEqual(run(...c), js[i], `case ${c}`));
  } finally {
    shutdownEngine();
  }
}

Deno.test("fused batch norm: WebAssembly loops give the JS loops' bits", async () => {
  await compareWithJs("wasm");
});

const native = loadOneDnn(3);
const skip = "reason" in native ? ` (skipped: ${native.reason})` : "";

Deno.test({
  name: `fused batch norm: native loops in the oneDNN shim give the JS loops' bits${skip}`,
  ignore: skip !== "",
  fn: () => compareWithJs("onednn"),
});
