import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "@llmseg/shared";
import { pseudoLabelDiceLoss, unifiedSegmentationLoss } from "../losses/mod.ts";
import { unsupervisedLoss } from "./objectives.ts";

await tf.setBackend("cpu");

Deno.test("L_u usl+dice is USL plus pseudo-label Dice, in both directions of the pair", () => {
  const rng = new Rng(11);
  const probabilities = () =>
    tf.softmax(tf.tensor(Array.from({ length: 96 }, () => rng.normal() * 2), [2, 2, 4, 2, 3]));
  const pA = probabilities(), pB = probabilities();
  const pair = { a: pA, b: pB };
  const thresholds = { t1: 0.7, t2: 0.05 };
  const usl = unsupervisedLoss(pair, pair, { unsupLoss: "usl", ...thresholds }).dataSync()[0];
  const both = unsupervisedLoss(pair, pair, { unsupLoss: "usl+dice", ...thresholds }).dataSync()[0];
  const dice = pseudoLabelDiceLoss(pA, pB).dataSync()[0] +
    pseudoLabelDiceLoss(pB, pA).dataSync()[0];
  const uslByHand = unifiedSegmentationLoss(pA, pB, thresholds).dataSync()[0] +
    unifiedSegmentationLoss(pB, pA, thresholds).dataSync()[0];
  assert.ok(Math.abs(usl - uslByHand) < 1e-6);
  assert.ok(dice > 0.1, `the Dice term is not negligible here: ${dice}`);
  assert.ok(Math.abs(both - (usl + dice)) < 1e-5, `${both} vs ${usl} + ${dice}`);
  // Each network learns from the other only: as the target, pA takes no gradient.
  const whole = tf.grad((a: tf.Tensor) =>
    unsupervisedLoss({ a, b: pB }, { a, b: pB }, { unsupLoss: "usl+dice", ...thresholds })
  )(pA).dataSync();
  const ownDirection = tf.grad((a: tf.Tensor) =>
    tf.add(unifiedSegmentationLoss(a, pB, thresholds), pseudoLabelDiceLoss(a, pB))
  )(pA).dataSync();
  whole.forEach((v, i) => assert.ok(Math.abs(v - ownDirection[i]) < 1e-6, `${i}: ${v}`));
});

Deno.test("L_u with separate targets: A learns from B's target, B from A's, never from their own", () => {
  const rng = new Rng(12);
  const probabilities = () =>
    tf.softmax(tf.tensor(Array.from({ length: 64 }, () => rng.normal() * 2), [2, 2, 4, 2, 2]));
  const predictions = { a: probabilities(), b: probabilities() };
  const targets = { a: probabilities(), b: probabilities() };
  const thresholds = { t1: 0.7, t2: 0.05 };
  const loss = unsupervisedLoss(predictions, targets, { unsupLoss: "usl", ...thresholds });
  const byHand = unifiedSegmentationLoss(predictions.a, targets.b, thresholds).dataSync()[0] +
    unifiedSegmentationLoss(predictions.b, targets.a, thresholds).dataSync()[0];
  const ownTargets = unifiedSegmentationLoss(predictions.a, targets.a, thresholds).dataSync()[0] +
    unifiedSegmentationLoss(predictions.b, targets.b, thresholds).dataSync()[0];
  assert.ok(Math.abs(loss.dataSync()[0] - byHand) < 1e-6, `${loss.dataSync()[0]} vs ${byHand}`);
  assert.ok(Math.abs(byHand - ownTargets) > 1e-3, "the fixture tells the two readings apart");
});
