import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { Rng } from "@llmseg/shared";
import { createNetwork, NetworkConfigSchema, type SegmentationNetwork } from "../networks/mod.ts";
import { exportOnnx } from "./onnx_export.ts";

await tf.setBackend("cpu");

const PATCH = [16, 16, 32] as const;
const KNOWLEDGE = Float32Array.from({ length: 8 }, (_, i) => Math.cos(3 * i));

/**
 * A width-2 network whose every 1-D parameter (conv biases, BN γ/β, running mean and variance)
 * is random, so that folding BN and the conv bias into the ONNX conv is really exercised.
 */
function tinyNetwork(arch: "vnet" | "unet3d", seed: number, inChannels = 1): SegmentationNetwork {
  const config = NetworkConfigSchema.parse({
    arch,
    width: 2,
    inChannels,
    classes: 3,
    beta: 0.8,
    knowledgeDim: KNOWLEDGE.length,
    textHidden: 4,
  });
  const network = createNetwork(config, seed, KNOWLEDGE);
  const rng = new Rng(seed + 100);
  for (const [name, variable] of network.namedState()) {
    if (variable.rank !== 1) continue;
    const values = Float32Array.from(
      { length: variable.size },
      () => name.endsWith("running_var") ? rng.uniformIn(0.3, 2) : 0.4 * rng.normal(),
    );
    variable.assign(tf.tensor1d(values));
  }
  return network;
}

/** tfjs eval forward, softmax, as `[N, classes, X, Y, Z]` (ONNX layout). */
function tfjsProbabilities(networks: SegmentationNetwork[], x: tf.Tensor5D): Float32Array {
  return tf.tidy(() => {
    const maps = networks.map((n) => tf.softmax(n.apply(x, { training: false })));
    const mean = tf.div(tf.addN(maps), networks.length);
    return tf.transpose(mean, [0, 4, 1, 2, 3]).dataSync() as Float32Array;
  });
}

async function onnxProbabilities(
  bytes: Uint8Array,
  x: tf.Tensor5D,
): Promise<{ values: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const nchw = tf.tidy(() => tf.transpose(x, [0, 4, 1, 2, 3]));
    const input = new ort.Tensor("float32", nchw.dataSync() as Float32Array, nchw.shape);
    nchw.dispose();
    const { probabilities } = await session.run({ image: input });
    return { values: probabilities.data as Float32Array, dims: probabilities.dims };
  } finally {
    await session.release();
  }
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i])), 0);
}

/** Share of values in (0.02, 0.98): a saturated softmax would hide errors in the logits. */
function unsaturated(p: Float32Array): number {
  return p.filter((v) => v > 0.02 && v < 0.98).length / p.length;
}

for (const arch of ["vnet", "unet3d"] as const) {
  Deno.test(`an exported ${arch} gives onnxruntime tfjs's eval probabilities to 1e-5`, async () => {
    const network = tinyNetwork(arch, 11, 2);
    const x = tf.randomNormal([2, ...PATCH, 2], 0, 1, "float32", 5) as tf.Tensor5D;
    try {
      const bytes = await exportOnnx([network], { metadata: { patch: PATCH.join(",") } });
      const want = tfjsProbabilities([network], x);
      const got = await onnxProbabilities(bytes, x);
      assert.deepEqual(got.dims, [2, 3, ...PATCH]);
      assert.ok(unsaturated(want) > 0.3, `tfjs output is saturated (${unsaturated(want)})`);
      const difference = maxDifference(got.values, want);
      assert.ok(difference < 1e-5, `max |onnx − tfjs| = ${difference}`);
    } finally {
      x.dispose();
      network.dispose();
    }
  });
}

Deno.test("a co-trained pair exports as the mean of both softmaxes, the text bias included", async () => {
  const pair = [tinyNetwork("vnet", 21), tinyNetwork("vnet", 22)];
  const x = tf.randomNormal([1, ...PATCH, 1], 0, 1, "float32", 6) as tf.Tensor5D;
  try {
    const got = await onnxProbabilities(await exportOnnx(pair), x);
    const difference = maxDifference(got.values, tfjsProbabilities(pair, x));
    assert.ok(difference < 1e-5, `max |onnx − tfjs| = ${difference}`);
    // Without the text bias the graph computes something else: the constant matters.
    const alone = await onnxProbabilities(await exportOnnx([pair[0]]), x);
    assert.ok(maxDifference(alone.values, got.values) > 1e-3);
  } finally {
    x.dispose();
    pair.forEach((n) => n.dispose());
  }
});

Deno.test("metadata and the graph's input/output names are what the docs promise", async () => {
  const network = tinyNetwork("vnet", 31);
  try {
    const bytes = await exportOnnx([network], { metadata: { patch: "16,16,32", classes: "3" } });
    const session = await ort.InferenceSession.create(bytes);
    assert.deepEqual(session.inputNames, ["image"]);
    assert.deepEqual(session.outputNames, ["probabilities"]);
    await session.release();
    const text = new TextDecoder("latin1").decode(bytes);
    assert.ok(text.includes("patch") && text.includes("16,16,32"));
  } finally {
    network.dispose();
  }
});

Deno.test("members of different architectures are refused", async () => {
  const a = tinyNetwork("vnet", 1);
  const b = tinyNetwork("unet3d", 2);
  try {
    await assert.rejects(() => exportOnnx([a, b]), /share their network configuration/);
  } finally {
    a.dispose();
    b.dispose();
  }
});
