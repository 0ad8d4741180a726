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
import { presets } from "./presets.ts";
import { cotrainStep, type StepLosses } from "./step.ts";
import { cotrainBatch, presetMember } from "./testing/preset_workload.ts";

const config = presets.hippocampus;

/** Losses of two co-training iterations from seeded weights and data. */
async function twoIterations(): Promise<StepLosses[]> {
  const rng = new Rng(5);
  const knowledge = Float32Array.from({ length: 768 }, () => rng.normal() * 0.5);
  const batch = cotrainBatch(config, rng);
  const a = presetMember(config, 1, knowledge), b = presetMember(config, 2, knowledge);
  const settings = { config, lr: config.baseLr, unsupWeight: config.unsupMaxWeight, rng };
  const losses = [
    await cotrainStep(a, b, batch, settings),
    await cotrainStep(a, b, batch, settings),
  ];
  for (const m of [a, b]) m.network.dispose();
  tf.dispose([batch.inputs, batch.labels, batch.cutmix!.mask]);
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
