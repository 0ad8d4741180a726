/**
 * The CPU engines at the size users train (issue #13): two hippocampus-preset co-training
 * iterations (two width-16 V-Nets, patch 32×48×32, batch 2 + 2, CutMix, USL) give the same finite
 * losses on oneDNN as on the WebAssembly kernels. The parity fixtures run tiny shapes, below the
 * sizes where an engine takes other paths: a threaded element-wise path once gave NaN here only.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Rng } from "@llmseg/shared";
import { initEngine, shutdownEngine } from "../engine/mod.ts";
import { loadOneDnn } from "../engine/onednn/library.ts";
import { createNetwork, NetworkConfigSchema } from "../networks/network.ts";
import { cutMixMask, drawCutMix } from "../transforms/mod.ts";
import { presets } from "./presets.ts";
import { Sgd } from "./sgd.ts";
import { cotrainStep, type Member, type StepLosses } from "./step.ts";

const config = presets.hippocampus;

function member(seed: number, knowledge: Float32Array): Member {
  const network = createNetwork(
    NetworkConfigSchema.parse({ arch: "vnet", width: config.nFilters, beta: config.beta }),
    seed,
    knowledge,
  );
  const trainable = new Map([...network.namedState()].filter(([, v]) => v.trainable));
  return {
    network,
    optimizer: new Sgd(trainable, { momentum: config.momentum, weightDecay: config.weightDecay }),
  };
}

/** Losses of two co-training iterations from seeded weights and data. */
async function twoIterations(): Promise<StepLosses[]> {
  const rng = new Rng(5);
  const knowledge = Float32Array.from({ length: 768 }, () => rng.normal() * 0.5);
  const [X, Y, Z] = config.patch;
  const voxels = X * Y * Z;
  const image = Float32Array.from({ length: 4 * voxels }, () => rng.normal());
  const label = Int32Array.from({ length: 2 * voxels }, (_, i) => (image[i] > 0.5 ? 1 : 0));
  const inputs = tf.tensor5d(image, [4, X, Y, Z, 1]);
  const labels = tf.tensor4d(label, [2, X, Y, Z], "int32");
  const boxes = drawCutMix(2, config.patch, rng);
  const batch = {
    inputs,
    labels,
    cutmix: { mask: cutMixMask(boxes, config.patch), partner: boxes.partner },
  };
  const a = member(1, knowledge), b = member(2, knowledge);
  const settings = { config, lr: config.baseLr, unsupWeight: config.unsupMaxWeight, rng };
  const losses = [
    await cotrainStep(a, b, batch, settings),
    await cotrainStep(a, b, batch, settings),
  ];
  for (const m of [a, b]) m.network.dispose();
  tf.dispose([inputs, labels, batch.cutmix.mask]);
  return losses;
}

const loaded = loadOneDnn(2);
const skip = "reason" in loaded ? ` (skipped: ${loaded.reason})` : "";

Deno.test({
  name: `hippocampus-size co-training: oneDNN and WebAssembly give the same finite losses${skip}`,
  ignore: skip !== "",
  async fn() {
    try {
      await initEngine({ backend: "cpu", threads: 2, cpuEngine: "wasm" });
      const wasm = await twoIterations();
      const info = await initEngine({ backend: "cpu", threads: 2, cpuEngine: "onednn" });
      assert.equal(info.cpuEngine, "onednn");
      compare(wasm, await twoIterations());
    } finally {
      shutdownEngine();
    }
  },
});

function compare(wasm: StepLosses[], onednn: StepLosses[]): void {
  for (const [it, expected] of wasm.entries()) {
    for (const part of ["supervised", "unsupervised"] as const) {
      const [want, got] = [expected[part], onednn[it][part]];
      assert.ok(Number.isFinite(got), `iteration ${it}: ${part} loss ${got}`);
      assert.ok(Math.abs(got - want) <= 1e-3 * Math.abs(want), `${part} ${got} vs wasm ${want}`);
    }
  }
}
