/**
 * Parity with PyTorch: tests/fixtures/parity/make_network_fixtures.py builds the lineage V-Net and
 * the SSL4MIS 3D U-Net at a small width and saves their weights, an input and the outputs.
 * `LLMSEG_TEST_BACKEND=engine` runs the same checks through `initEngine` with the WebAssembly
 * kernels, `=webgpu` on tfjs's WebGPU backend (values are read asynchronously throughout, as
 * WebGPU in Deno cannot `dataSync`).
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { UserError } from "@llmseg/shared";
import { torchConvToTfjs, torchDeconvToTfjs } from "../networks/layers.ts";
import { createNetwork, type SegmentationNetwork } from "../networks/network.ts";
import { decodeSafetensors, type SafetensorsFile, toFloat32 } from "./safetensors.ts";
import { loadState, stateToEntries } from "./state.ts";
import { importTorchWeights } from "./torch_import.ts";

// "cpu": stock tfjs; "engine": the engine's CPU path with its WebAssembly kernels; "webgpu".
const backend = Deno.env.get("LLMSEG_TEST_BACKEND") ?? "cpu";
if (backend === "cpu") await tf.setBackend("cpu");
else {
  const { initEngine, shutdownEngine } = await import("../engine/mod.ts");
  const info = await initEngine({ backend: backend === "engine" ? "cpu" : "webgpu", threads: 2 });
  console.log(`engine: ${info.backend}, kernels ${info.kernels.join(", ") || "none"}`);
  globalThis.addEventListener("unload", shutdownEngine);
}

const fixtures = new URL("../../tests/fixtures/parity/", import.meta.url);
const read = async (name: string): Promise<SafetensorsFile> =>
  decodeSafetensors(await Deno.readFile(new URL(name, fixtures)), name);
const io = await read("io.safetensors");

/** A PyTorch NCDHW tensor of the fixture as tfjs NDHWC. */
function ndhwc(name: string): tf.Tensor5D {
  const entry = io.tensors.get(name)!;
  const ncdhw: tf.Tensor = tf.tensor(toFloat32(entry), entry.shape);
  return tf.transpose(ncdhw, [0, 2, 3, 4, 1]) as tf.Tensor5D;
}

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const [value] = await difference.data();
  difference.dispose();
  return value;
}

/** A copy of `net` with dropout off, so that its train-mode output is deterministic. */
async function withoutDropout(net: SegmentationNetwork): Promise<SegmentationNetwork> {
  const copy = createNetwork({ ...net.config, dropout: false }, 0);
  loadState(copy.namedState(), await stateToEntries(net.namedState()), "copy");
  return copy;
}

Deno.test("imported UA-MT V-Net matches PyTorch to 1e-4 in eval and train mode", async () => {
  const net = importTorchWeights(await read("vnet_weights.safetensors"), "vnet", "vnet_weights");
  assert.deepEqual([net.config.width, net.config.inChannels, net.config.classes], [2, 1, 2]);
  const x = ndhwc("input");
  const evalOut = net.apply(x, { training: false });
  assert.ok(await maxAbsDiff(evalOut, ndhwc("vnet_eval")) < 1e-4);

  // Train mode without dropout: batch-statistics BN and the running-statistics update.
  const noDropout = await withoutDropout(net);
  const trainOut = noDropout.apply(x, { training: true });
  assert.ok(await maxAbsDiff(trainOut, ndhwc("vnet_train")) < 1e-4);
  const state = noDropout.namedState();
  for (const stat of ["running_mean", "running_var"]) {
    const expected = io.tensors.get(`vnet_block_one_${stat}`)!;
    const ours = state.get(`block_one.conv.1.${stat}`)!;
    assert.ok(await maxAbsDiff(ours, tf.tensor(toFloat32(expected))) < 1e-5, stat);
  }
  tf.dispose([x, evalOut, trainOut]);
  net.dispose();
  noDropout.dispose();
});

/**
 * Gradients of sum(train-mode logits · probe) for the fixture's parameters, against PyTorch's
 * float64 gradients (probe[n, c, d, h, w] = sin(0.01 · flat NCDHW index)).
 */
async function assertGradientsMatch(net: SegmentationNetwork, prefix: string): Promise<void> {
  const x = ndhwc("input");
  const [n, sx, sy, sz] = x.shape;
  const count = n * 2 * sx * sy * sz;
  const probeNcdhw = tf.tensor(Float32Array.from({ length: count }, (_, i) => Math.sin(0.01 * i)), [
    n,
    2,
    sx,
    sy,
    sz,
  ]);
  const probe = tf.transpose(probeNcdhw, [0, 2, 3, 4, 1]);
  const state = net.namedState();
  const expected = [...io.tensors].filter(([key]) => key.startsWith(`${prefix}_grad.`));
  assert.ok(expected.length >= 5);
  const variables = expected.map(([key]) => state.get(key.slice(prefix.length + 6))!);
  const { grads } = tf.variableGrads(
    () => tf.sum(tf.mul(net.apply(x, { training: true }), probe)) as tf.Scalar,
    variables,
  );
  for (const [i, [key, entry]] of expected.entries()) {
    const values = toFloat32(entry);
    const [d0, d1, k] = entry.shape;
    const reference = entry.shape.length !== 5
      ? values
      : key.includes("_up.conv.0.weight")
      ? torchDeconvToTfjs(values, d0, d1)
      : torchConvToTfjs(values, d0, d1, k);
    const ours = await grads[variables[i].name].data();
    const scale = Math.max(...reference.map(Math.abs));
    const error = Math.max(...reference.map((r, j) => Math.abs(r - ours[j])));
    assert.ok(error <= 1e-3 * scale, `${key}: max error ${error} vs scale ${scale}`);
  }
  tf.dispose([x, probeNcdhw, probe, ...Object.values(grads)]);
}

/** Imports the fixture's `arch` weights and checks their gradients without dropout. */
async function assertImportedGradientsMatch(arch: "vnet" | "unet3d"): Promise<void> {
  const imported = importTorchWeights(
    await read(`${arch}_weights.safetensors`),
    arch,
    `${arch}_weights`,
  );
  const net = await withoutDropout(imported);
  await assertGradientsMatch(net, arch);
  imported.dispose();
  net.dispose();
}

Deno.test("V-Net gradients in train mode match PyTorch (BN from moments, transposed-conv up-conv)", () =>
  assertImportedGradientsMatch("vnet"));

Deno.test("3D U-Net gradients match PyTorch (instance norm, trilinear up-sampling, concat)", () =>
  assertImportedGradientsMatch("unet3d"));

Deno.test("BCP encoder./decoder. and DataParallel module. prefixes import to the same network", async () => {
  const plain = await read("vnet_weights.safetensors");
  const prefixed = new Map(
    [...plain.tensors].map(([key, entry]) => {
      const encoder = /^block_(one|two|three|four|five)(_dw)?\./.test(key);
      return [`module.${encoder ? "encoder" : "decoder"}.${key}`, entry];
    }),
  );
  const net = importTorchWeights({ tensors: prefixed, metadata: {} }, "vnet", "bcp");
  const x = ndhwc("input");
  const out = net.apply(x, { training: false });
  assert.ok(await maxAbsDiff(out, ndhwc("vnet_eval")) < 1e-4);
  tf.dispose([x, out]);
  net.dispose();
});

Deno.test("imported SSL4MIS 3D U-Net matches PyTorch to 1e-4 (trilinear up, instance norm, concat)", async () => {
  const net = importTorchWeights(
    await read("unet3d_weights.safetensors"),
    "unet3d",
    "unet3d_weights",
  );
  const x = ndhwc("input");
  const out = net.apply(x, { training: false });
  assert.ok(await maxAbsDiff(out, ndhwc("unet3d_eval")) < 1e-4);
  tf.dispose([x, out]);
  net.dispose();
});

Deno.test("weights of another architecture or with a missing tensor are refused by name", async () => {
  const vnet = await read("vnet_weights.safetensors");
  assert.throws(() => importTorchWeights(vnet, "unet3d", "v.safetensors"), (e: unknown) => {
    return e instanceof UserError && /v\.safetensors: not a PyTorch unet3d/.test(e.message);
  });
  const truncated = new Map(vnet.tensors);
  truncated.delete("block_six.conv.3.weight");
  assert.throws(
    () => importTorchWeights({ tensors: truncated, metadata: {} }, "vnet", "t.safetensors"),
    (e: unknown) =>
      e instanceof UserError && /missing 1: block_six\.conv\.3\.weight/.test(e.message),
  );
});
