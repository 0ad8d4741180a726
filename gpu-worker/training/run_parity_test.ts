/**
 * Parity with PyTorch over a whole short run (issue #12): the data pipeline (sampler, per-axis
 * flips, the lineage's padded random crop) and twelve supervised steps from the same initial
 * weights reproduce `tests/fixtures/training/make_run_fixture.py`, which draws the same random
 * numbers (a Python port of shared/random.ts) through the lineage's own transforms. A one-step
 * fixture cannot see a transform that draws differently or pads elsewhere: every later batch
 * and so the loss curve and the weights part from the reference.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "@llmseg/shared";
import { readSafetensors, toFloat32 } from "../checkpoint/safetensors.ts";
import { entriesWithPrefix } from "../checkpoint/state.ts";
import { importTorchWeights } from "../checkpoint/torch_import.ts";
import { type Sample, type Shape3, TwoStreamSampler } from "../transforms/mod.ts";
import { disposeBatch, drawBatch } from "./batch.ts";
import { resolveConfig } from "./presets.ts";
import { polyLearningRate } from "./schedules.ts";
import { Sgd } from "./sgd.ts";
import { supervisedStep } from "./step.ts";

await tf.setBackend("cpu");

const fixture = decodeURIComponent(
  new URL("../../tests/fixtures/training/run.safetensors", import.meta.url).pathname,
);
/** The fixture's learning rate (0.01: see make_run_fixture.py on conditioning). */
const LR = 0.01;

/** make_run_fixture.py's `synthetic_case`: an off-centre ellipsoid, noise from Rng(100 + index). */
function syntheticCase(shape: Shape3, index: number): Sample {
  const rng = new Rng(100 + index);
  const [X, Y, Z] = shape;
  const image = new Float32Array(X * Y * Z), label = new Uint8Array(X * Y * Z);
  const term = (g: number, s: number): number => ((g - 0.4 * s) / (0.25 * s)) ** 2;
  for (let i = 0, v = 0; i < X; i++) {
    for (let j = 0; j < Y; j++) {
      for (let k = 0; k < Z; k++, v++) {
        label[v] = 0 + term(i, X) + term(j, Y) + term(k, Z) <= 1 ? 1 : 0;
        image[v] = 2 * label[v] - 1 + 1.5 * (rng.uniform() - 0.5);
      }
    }
  }
  return { shape, channels: 1, image, label };
}

/** Largest |a − b| of a tensor relative to the reference's largest magnitude. */
function relativeGap(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0, worst = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / scale);
  }
  return worst;
}

Deno.test("a twelve-iteration supervised run matches PyTorch with the lineage's transforms", async () => {
  const file = await readSafetensors(fixture);
  const meta = file.metadata;
  const iterations = Number(meta.iterations), seed = Number(meta.seed);
  const patch = JSON.parse(meta.patch) as Shape3;
  const cases = (JSON.parse(meta.shapes) as Shape3[]).map(syntheticCase);
  const state = (prefix: string) =>
    importTorchWeights(
      { ...file, tensors: entriesWithPrefix(file.tensors, prefix) },
      "vnet",
      `fixture ${prefix}`,
      { dropout: false },
    );
  const network = state("a0/"), expected = state("aN/");
  const trainable = new Map([...network.namedState()].filter(([, v]) => v.trainable));
  const member = { network, optimizer: new Sgd(trainable, { momentum: 0.9, weightDecay: 1e-4 }) };
  const config = resolveConfig("hippocampus", {
    mode: "supervised",
    nFilters: Number(meta.width),
    dropout: false,
    beta: 0,
    patch,
    labeledCount: cases.length,
    augment: "flip",
    seed,
  });
  const sampler = new TwoStreamSampler(cases.length, 0, config.labeledBatchSize, 0);
  const rng = new Rng(seed);
  const expectedLosses = toFloat32(file.tensors.get("losses")!);
  const lossGap = Number(meta.float64_loss_gap), convGap = Number(meta.float64_conv_gap);
  for (let it = 0; it < iterations; it++) {
    const batch = drawBatch(cases, [], sampler, config, rng);
    const { total } = await supervisedStep(member, batch, {
      config,
      lr: polyLearningRate(LR, it, iterations, config.lrPower),
      unsupWeight: 0,
      rng,
    });
    disposeBatch(batch);
    const gap = Math.abs(total - expectedLosses[it]) / expectedLosses[it];
    // Rounding alone (float32 vs float64 in PyTorch) moves a loss by lossGap; allow 10 times it.
    assert.ok(gap < 10 * lossGap, `iteration ${it}: loss ${total} vs ${expectedLosses[it]}`);
  }
  const want = expected.namedState();
  let worst = 0, where = "";
  for (const [name, variable] of network.namedState()) {
    if (variable.rank !== 5) continue; // batch-norm shifts: see make_run_fixture.py
    const gap = relativeGap(variable.dataSync(), want.get(name)!.dataSync());
    if (gap > worst) [worst, where] = [gap, name];
  }
  assert.ok(worst < 3 * convGap, `largest relative difference ${worst} at ${where}`);
  network.dispose();
  expected.dispose();
  member.optimizer.dispose();
});
