import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng, UserError } from "@llmseg/shared";
import type { Volume } from "../../shared/volume/volume.ts";
import { saveModelFolder } from "../checkpoint/model_folder.ts";
import type { ModelManifest } from "../checkpoint/model_manifest.ts";
import { createNetwork, NetworkConfigSchema, type SegmentationNetwork } from "../networks/mod.ts";
import { sampleFromVolumes, type Shape3, toVolumeLayout } from "../transforms/mod.ts";
import {
  argmaxLabels,
  inferVolume,
  keepLargestComponent,
  slidingWindow,
  windowPadding,
  windowStarts,
} from "./mod.ts";

await tf.setBackend("cpu");

Deno.test("window counts match docs/METHOD.md 6's cost examples (LA 45, BraTS 12)", () => {
  const count = (shape: Shape3, patch: Shape3, stride: Shape3): number =>
    shape.reduce((n, d, a) => n * windowStarts(d, patch[a], stride[a]).length, 1);
  assert.equal(count([183, 140, 88], [112, 112, 80], [18, 18, 4]), 45);
  assert.equal(count([140, 170, 140], [96, 96, 96], [64, 64, 64]), 12);
  assert.deepEqual(windowStarts(183, 112, 18), [0, 18, 36, 54, 71]);
  assert.deepEqual(windowPadding([10, 20, 16], [16, 16, 16]), [3, 0, 0]);
});

Deno.test("slidingWindow averages each voxel over exactly the windows covering it", async () => {
  const shape: Shape3 = [10, 21, 7], patch: Shape3 = [8, 8, 8], stride: Shape3 = [3, 5, 4];
  const n = shape[0] * shape[1] * shape[2];
  const rng = new Rng(1);
  const image = Float32Array.from({ length: n }, () => rng.normal());
  // Foreground "probability" = the voxel's local x position in its window: depends on the window.
  const local = tf.tidy(() => tf.keep(tf.range(0, 8).div(8).reshape([1, 8, 1, 1, 1])));
  const maps = await slidingWindow(
    { shape, channels: 1, image },
    (
      w,
    ) => [
      tf.concat([tf.sub(1, tf.add(w.mul(0), local)), tf.add(w.mul(0), local)], 4) as tf.Tensor5D,
    ],
    patch,
    stride,
    2,
  );
  // Reference: the same padding (z 7 → 8) and window starts, each window visited directly.
  const pad = windowPadding(shape, patch);
  const padded = shape.map((d, a) => Math.max(d, patch[a])) as Shape3;
  const starts = padded.map((d, a) => windowStarts(d, patch[a], stride[a]));
  for (const [x, y, z] of [[0, 0, 0], [4, 10, 3], [9, 20, 6], [5, 13, 0]]) {
    let sum = 0, count = 0;
    for (const sx of starts[0]) {
      for (const sy of starts[1]) {
        for (const sz of starts[2]) {
          const [px, py, pz] = [x + pad[0], y + pad[1], z + pad[2]];
          if (px < sx || px >= sx + 8 || py < sy || py >= sy + 8 || pz < sz || pz >= sz + 8) {
            continue;
          }
          sum += (px - sx) / 8;
          count++;
        }
      }
    }
    const v = (x * shape[1] + y) * shape[2] + z;
    assert.ok(Math.abs(maps[0][2 * v + 1] - sum / count) < 1e-6, `voxel ${x},${y},${z}`);
  }
  assert.deepEqual(argmaxLabels(Float32Array.of(0.5, 0.5, 0.2, 0.8), 2), Uint8Array.of(0, 1));
});

Deno.test("keepLargestComponent keeps the largest 26-connected blob", () => {
  const shape: Shape3 = [6, 6, 6];
  const labels = new Uint8Array(216);
  const at = (x: number, y: number, z: number): number => (x * 6 + y) * 6 + z;
  // A diagonal chain of 3 voxels (26-connected, not 6-connected) and a separate pair.
  [at(0, 0, 0), at(1, 1, 1), at(2, 2, 2)].forEach((v) => (labels[v] = 1));
  [at(5, 5, 0), at(5, 4, 0)].forEach((v) => (labels[v] = 1));
  keepLargestComponent(labels, shape);
  assert.equal(labels.reduce((s, v) => s + v, 0), 3);
  assert.equal(labels[at(2, 2, 2)], 1);
  assert.equal(labels[at(5, 5, 0)], 0);
});

function volume(shape: Shape3, channels: number): Volume {
  const rng = new Rng(2);
  return {
    shape,
    channels,
    data: Float32Array.from(
      { length: shape[0] * shape[1] * shape[2] * channels },
      () => rng.normal() * 50 + 100,
    ),
    spacing: [1.5, 1, 2],
    affine: [[1.5, 0, 0, 3], [0, 1, 0, -2], [0, 0, 2, 7], [0, 0, 0, 1]],
    source: { path: "scan.nii.gz", format: "nifti" },
  };
}

Deno.test("inferVolume writes a mask in the input's geometry, with maps, and refuses bad inputs", async () => {
  const dir = await Deno.makeTempDir();
  const network = NetworkConfigSchema.parse({ arch: "vnet", width: 2, dropout: false });
  const nets = new Map([["a" as const, createNetwork(network, 1)], [
    "b" as const,
    createNetwork(network, 2),
  ]]);
  await saveModelFolder(dir, {
    schema: "llmseg.model/v1",
    network,
    members: ["a", "b"],
    patch: [16, 16, 16],
    stride: [8, 8, 8],
    preprocessing: { normalization: { zscore: "all" } },
    knowledge: null,
    origin: { kind: "trained", iteration: 0 },
    createdAt: new Date().toISOString(),
  }, nets);
  const scan = volume([20, 13, 18], 1);
  const result = await inferVolume(dir, scan, { probabilities: true, uncertainty: true });
  assert.deepEqual(result.mask.shape, scan.shape);
  assert.deepEqual(result.mask.affine, scan.affine);
  assert.deepEqual(result.mask.spacing, scan.spacing);
  assert.equal(result.mask.source?.path, "scan.nii.gz");
  assert.equal(result.mask.data.length, 20 * 13 * 18);
  const p = result.probabilities!.data, u = result.uncertainty!.data;
  assert.ok(p.every((v) => v >= 0 && v <= 1) && u.every((v) => v >= 0 && v <= 1));
  result.mask.data.forEach((m, i) => assert.equal(m, p[i] > 0.5 ? 1 : 0));
  const average = await inferVolume(dir, scan, { network: "average", stride: [16, 16, 16] });
  assert.equal(average.mask.data.length, result.mask.data.length);
  const tensors = tf.memory().numTensors;
  await inferVolume(dir, scan, { largestComponent: true, stride: [16, 16, 16] });
  assert.equal(tf.memory().numTensors, tensors, "inference leaves no tensors behind");
  await assert.rejects(inferVolume(dir, volume([20, 13, 18], 2)), UserError);
  await assert.rejects(inferVolume(dir, scan, { patch: [16, 16, 12] }), /divisible by 16/);
  nets.forEach((n) => n.dispose());
  await Deno.remove(dir, { recursive: true });
});

/** Saves `net` as a one-network model folder: one 16³ window, no normalisation. */
function saveSingleNetwork(
  dir: string,
  net: SegmentationNetwork,
  origin: ModelManifest["origin"],
  training?: Record<string, unknown>,
): Promise<void> {
  return saveModelFolder(dir, {
    schema: "llmseg.model/v1",
    network: net.config,
    members: ["a"],
    patch: [16, 16, 16],
    stride: [16, 16, 16],
    preprocessing: { normalization: { zscore: "none" } },
    knowledge: null,
    origin,
    training,
    createdAt: new Date().toISOString(),
  }, new Map([["a" as const, net]]));
}

Deno.test("a single-network model refuses network b, the average and the uncertainty map", async () => {
  const dir = await Deno.makeTempDir();
  const network = NetworkConfigSchema.parse({ arch: "vnet", width: 1, dropout: false });
  const net = createNetwork(network, 1);
  await saveSingleNetwork(dir, net, { kind: "imported", from: "test" });
  const scan = volume([16, 16, 16], 1);
  assert.equal((await inferVolume(dir, scan)).mask.data.length, 4096);
  for (
    const options of [{ network: "b" as const }, { network: "average" as const }, {
      uncertainty: true,
    }]
  ) {
    await assert.rejects(inferVolume(dir, scan, options), /co-trained pair/);
  }
  net.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--tta averages each window over the flips its training augmentation made, no others", async () => {
  const dir = await Deno.makeTempDir();
  const network = NetworkConfigSchema.parse({ arch: "vnet", width: 2, dropout: false });
  const net = createNetwork(network, 3);
  const save = (augment: string) =>
    saveSingleNetwork(dir, net, { kind: "trained", iteration: 0 }, { augment });
  await save("rot-flip");
  const scan = volume([16, 16, 16], 1);
  const foreground = async (tta: boolean) =>
    (await inferVolume(dir, scan, { tta, probabilities: true })).probabilities!.data;
  // One window: the mean over flips of axes 0 and 1 (rot-flip never flips axis 2), by hand.
  const mirrored = (axes: number[][]) =>
    tf.tidy(() => {
      const x = tf.tensor5d(sampleFromVolumes(scan).image, [1, 16, 16, 16, 1]);
      const maps = axes.map((dims) =>
        tf.reverse(tf.softmax(net.apply(tf.reverse(x, dims), { training: false })), dims)
      );
      const values = tf.sub(1, tf.addN(maps).div(axes.length)).slice(
        [0, 0, 0, 0, 0],
        [1, 16, 16, 16, 1],
      ).dataSync();
      const out = new Float32Array(values.length);
      toVolumeLayout(values, [16, 16, 16], 1, out);
      return out;
    });
  const expected = mirrored([[], [1], [2], [1, 2]]);
  const allEight = mirrored([[], [1], [2], [3], [1, 2], [1, 3], [2, 3], [1, 2, 3]]);
  const actual = await foreground(true), plain = await foreground(false);
  const maxDiff = (p: Float32Array, q: Float32Array) =>
    p.reduce((m, v, i) => Math.max(m, Math.abs(v - q[i])), 0);
  assert.ok(maxDiff(actual, expected) < 1e-5, `mirrored: ${maxDiff(actual, expected)}`);
  assert.ok(maxDiff(actual, plain) > 1e-4, "mirroring changes an untrained network's output");
  assert.ok(maxDiff(actual, allEight) > 1e-4, "axis 2, never flipped in training, stays unflipped");
  await save("none");
  await assert.rejects(foreground(true), /trained without flips/);
  net.dispose();
  await Deno.remove(dir, { recursive: true });
});
