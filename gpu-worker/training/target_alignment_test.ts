import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "@llmseg/shared";
import { unifiedSegmentationLoss } from "../losses/mod.ts";
import { unsupervisedLoss } from "./objectives.ts";
import { classMeans, TargetAlignment, TargetAlignmentStateSchema } from "./target_alignment.ts";

await tf.setBackend("cpu");

const rng = new Rng(5);
/** Random probabilities `[2, 2, 4, 2, 2]` whose foreground leans `shift` in logit. */
const probabilities = (shift = 0) =>
  tf.softmax(
    tf.tensor(Array.from({ length: 64 }, (_, i) => rng.normal() * 2 + (i % 2 ? shift : 0)), [
      2,
      2,
      4,
      2,
      2,
    ]),
  );

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tolerance,
      `${i}: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

Deno.test("target alignment: identity before any batch, then p·π/m renormalised per voxel", () => {
  const p = probabilities();
  const alignment = new TargetAlignment();
  close(alignment.align(p, "a").dataSync(), p.dataSync());
  alignment.observe({ prior: [0.9, 0.1], marginals: { a: [0.8, 0.2], b: [0.9, 0.1] } });
  const values = p.dataSync();
  const expected = Array.from(values, (v, i) => {
    const [bg, fg] = i % 2 ? [values[i - 1], v] : [v, values[i + 1]];
    const [wBg, wFg] = [bg * 0.9 / 0.8, fg * 0.1 / 0.2];
    return (i % 2 ? wFg : wBg) / (wBg + wFg);
  });
  close(alignment.align(p, "a").dataSync(), expected);
  // B's marginal equals the prior: its probabilities pass unchanged.
  close(alignment.align(p, "b").dataSync(), values);
});

Deno.test("target alignment: a partner that over-predicts foreground hands on fewer foreground pseudo-labels", () => {
  const p = probabilities(1.5);
  const foregroundVoxels = (x: tf.Tensor) => tf.sum(tf.argMax(x, -1)).dataSync()[0];
  const alignment = new TargetAlignment();
  const marginal = [...classMeans(p).dataSync()];
  alignment.observe({ prior: [0.8, 0.2], marginals: { a: marginal, b: marginal } });
  assert.ok(marginal[1] > 0.5, `the fixture leans to foreground: ${marginal}`);
  const aligned = alignment.align(p, "a");
  assert.ok(foregroundVoxels(aligned) < foregroundVoxels(p));
  close(tf.sum(aligned, -1).dataSync(), new Float32Array(32).fill(1));
  assert.ok(classMeans(aligned).dataSync()[1] < marginal[1]);
});

Deno.test("target alignment: running averages of about 100 batches, saved and restored exactly", () => {
  const alignment = new TargetAlignment();
  const first = { prior: [0.9, 0.1], marginals: { a: [0.7, 0.3], b: [0.6, 0.4] } };
  const second = { prior: [0.5, 0.5], marginals: { a: [0.9, 0.1], b: [1, 0] } };
  alignment.observe(first);
  assert.deepEqual(alignment.state, first);
  alignment.observe(second);
  const state = alignment.state!;
  close(state.prior, [0.99 * 0.9 + 0.01 * 0.5, 0.99 * 0.1 + 0.01 * 0.5], 1e-12);
  close(state.marginals.b, [0.99 * 0.6 + 0.01, 0.99 * 0.4], 1e-12);
  const restored = new TargetAlignment(
    TargetAlignmentStateSchema.parse(JSON.parse(JSON.stringify(state))),
  );
  const p = probabilities();
  close(restored.align(p, "b").dataSync(), alignment.align(p, "b").dataSync(), 0);
  // A class B never predicts (marginal 0) is floored, not divided by zero.
  assert.ok(alignment.align(p, "b").dataSync().every(Number.isFinite));
  for (const prior of [[2, 0], [0.5, 0.3, 0.2]]) {
    assert.equal(
      TargetAlignmentStateSchema.safeParse({ prior, marginals: first.marginals }).success,
      false,
      `prior ${prior}`,
    );
  }
});

Deno.test("L_u with alignment is L_u against the aligned targets, each direction with its source's marginal", () => {
  const pA = probabilities(), pB = probabilities(1);
  const alignment = new TargetAlignment();
  alignment.observe({ prior: [0.85, 0.15], marginals: { a: [0.7, 0.3], b: [0.5, 0.5] } });
  const thresholds = { t1: 0.7, t2: 0.05 };
  const pair = { a: pA, b: pB };
  const aligned = unsupervisedLoss(pair, pair, { unsupLoss: "usl", ...thresholds }, alignment);
  const byHand = unifiedSegmentationLoss(pA, alignment.align(pB, "b"), thresholds).dataSync()[0] +
    unifiedSegmentationLoss(pB, alignment.align(pA, "a"), thresholds).dataSync()[0];
  const plain = unsupervisedLoss(pair, pair, { unsupLoss: "usl", ...thresholds }).dataSync()[0];
  close([aligned.dataSync()[0]], [byHand], 1e-5);
  assert.ok(Math.abs(plain - byHand) > 1e-3, `the alignment changes the loss: ${plain}`);
});
