import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "@llmseg/shared";
import {
  crossEntropy,
  meanSquaredError,
  pseudoLabelDiceLoss,
  pseudoLabelNll,
  softDiceLoss,
  supervisedSegmentationLoss,
  unifiedSegmentationLoss,
} from "./mod.ts";
import { gradientError } from "./gradient_check.ts";

await tf.setBackend("cpu");

/** [N=2, 2, 2, 2, K=2] random logits, and integer labels [2, 2, 2, 2]. */
function smallProblem(seed: number): { logits: tf.Tensor; labels: tf.Tensor } {
  const rng = new Rng(seed);
  const logits = tf.tensor(Array.from({ length: 32 }, () => rng.normal() * 2), [2, 2, 2, 2, 2]);
  const labels = tf.tensor(
    Array.from({ length: 16 }, () => rng.integer(0, 2)),
    [2, 2, 2, 2],
    "int32",
  );
  return { logits, labels };
}

/**
 * Target probabilities chosen so every USL regime occurs for t1 0.7, t2 0.05: max q in
 * {0.6 (MSE only), 0.8 (positive only), 0.97 (positive and negative)}, with argmax on either class.
 */
function regimeTarget(): tf.Tensor {
  const qMax = [0.6, 0.8, 0.97, 0.6, 0.8, 0.97, 0.55, 0.99];
  const pairs = qMax.flatMap((q, i) => (i % 2 === 0 ? [q, 1 - q] : [1 - q, q]));
  return tf.tensor([...pairs, ...pairs], [2, 2, 2, 2, 2]);
}

/** Float64 USL of docs/METHOD.md 5 written out per voxel, as the reference. */
function uslReference(p: Float32Array, q: Float32Array, k: number, t1: number, t2: number): number {
  let total = 0;
  const voxels = p.length / k;
  for (let v = 0; v < voxels; v++) {
    const pv = Array.from(p.subarray(v * k, v * k + k));
    const qv = Array.from(q.subarray(v * k, v * k + k));
    const qMax = Math.max(...qv), qMin = Math.min(...qv), star = qv.indexOf(qMax);
    const w1 = qMax > t1 ? qMax : 0, w2 = qMin < t2 ? 1 - qMin : 0;
    const w3 = t2 < qMin && qMax < t1 ? 1 : 0;
    const pos = -Math.log(pv[star] + 1e-8);
    const neg = -pv.reduce((s, pc, c) => (c === star ? s : s + Math.log(1 - pc + 1e-8)), 0);
    const mse = pv.reduce((s, pc, c) => s + (pc - qv[c]) ** 2, 0) / k;
    total += w1 * pos + w2 * neg + w3 * mse;
  }
  return total / voxels;
}

Deno.test("crossEntropy equals −mean log softmax at the label, and its gradient checks", () => {
  const { logits, labels } = smallProblem(1);
  const z = logits.arraySync() as number[][][][][];
  const y = labels.dataSync();
  let expected = 0;
  z.flat(3).forEach((pair, v) => {
    expected -= pair[y[v]] - Math.log(Math.exp(pair[0]) + Math.exp(pair[1]));
  });
  assert.ok(Math.abs(crossEntropy(logits, labels).dataSync()[0] - expected / 16) < 1e-5);
  assert.ok(gradientError((x) => crossEntropy(x, labels), logits) < 1e-2);
});

Deno.test("softDiceLoss: 0 for a perfect hard prediction, 1 for a disjoint one; gradient checks", () => {
  const { logits, labels } = smallProblem(2);
  const y = labels.toFloat();
  assert.ok(softDiceLoss(y, y).dataSync()[0] < 1e-6);
  assert.ok(Math.abs(softDiceLoss(tf.sub(1, y), y).dataSync()[0] - 1) < 1e-5);
  const loss = (x: tf.Tensor): tf.Scalar =>
    softDiceLoss(tf.softmax(x).slice([0, 0, 0, 0, 1], [-1, -1, -1, -1, 1]).squeeze([4]), labels);
  assert.ok(gradientError(loss, logits) < 1e-2);
});

Deno.test("meanSquaredError and pseudoLabelNll: values and gradients through softmax", () => {
  const { logits } = smallProblem(3);
  const target = regimeTarget();
  const p = tf.softmax(logits).dataSync() as Float32Array;
  const q = target.dataSync() as Float32Array;
  const mse = p.reduce((s, pv, i) => s + (pv - q[i]) ** 2, 0) / p.length;
  assert.ok(Math.abs(meanSquaredError(tf.softmax(logits), target).dataSync()[0] - mse) < 1e-6);
  let nll = 0;
  for (let v = 0; v < 16; v++) {
    nll -= Math.log(p[2 * v + (q[2 * v] >= q[2 * v + 1] ? 0 : 1)] + 1e-8);
  }
  assert.ok(Math.abs(pseudoLabelNll(tf.softmax(logits), target).dataSync()[0] - nll / 16) < 1e-5);
  assert.ok(gradientError((x) => meanSquaredError(tf.softmax(x), target), logits) < 1e-2);
  assert.ok(gradientError((x) => pseudoLabelNll(tf.softmax(x), target), logits) < 1e-2);
});

Deno.test("USL matches the per-voxel definition of docs/METHOD.md 5 in all three regimes", () => {
  const { logits } = smallProblem(4);
  const target = regimeTarget();
  for (const [t1, t2] of [[0.7, 0.05], [0.9, 0.1]]) {
    const p = tf.softmax(logits);
    const actual = unifiedSegmentationLoss(p, target, { t1, t2 }).dataSync()[0];
    const expected = uslReference(
      p.dataSync() as Float32Array,
      target.dataSync() as Float32Array,
      2,
      t1,
      t2,
    );
    assert.ok(Math.abs(actual - expected) < 1e-5, `${actual} vs ${expected}`);
  }
});

Deno.test("USL with K = 2 reduces to (w1 + w2)·CE + w3·MSE (docs/METHOD.md 5, binary consequence)", () => {
  const { logits } = smallProblem(5);
  const target = regimeTarget();
  const p = tf.softmax(logits).dataSync() as Float32Array;
  const q = target.dataSync() as Float32Array;
  let expected = 0;
  for (let v = 0; v < 16; v++) {
    const qMax = Math.max(q[2 * v], q[2 * v + 1]), star = q[2 * v] >= q[2 * v + 1] ? 0 : 1;
    const w12 = (qMax > 0.7 ? qMax : 0) + (qMax > 0.95 ? qMax : 0);
    const w3 = qMax < 0.7 ? 1 : 0;
    const mse = ((p[2 * v] - q[2 * v]) ** 2 + (p[2 * v + 1] - q[2 * v + 1]) ** 2) / 2;
    expected += w12 * -Math.log(p[2 * v + star] + 1e-8) + w3 * mse;
  }
  const actual = unifiedSegmentationLoss(tf.softmax(logits), target, { t1: 0.7, t2: 0.05 });
  assert.ok(Math.abs(actual.dataSync()[0] - expected / 16) < 1e-5);
});

Deno.test("USL gradient (through softmax) passes the finite-difference check", () => {
  const { logits } = smallProblem(6);
  const target = regimeTarget();
  const loss = (x: tf.Tensor): tf.Scalar =>
    unifiedSegmentationLoss(tf.softmax(x), target, { t1: 0.7, t2: 0.05 });
  assert.ok(gradientError(loss, logits) < 1e-2);
});

Deno.test("supervisedSegmentationLoss: CE + mean foreground Dice, gradient as autodiff's", () => {
  const rng = new Rng(8);
  const logits = tf.tensor(Array.from({ length: 48 }, () => rng.normal() * 2), [2, 2, 2, 2, 3]);
  const labels = tf.tensor(
    Array.from({ length: 16 }, () => rng.integer(0, 3)),
    [2, 2, 2, 2],
    "int32",
  );
  const composed = (x: tf.Tensor, terms: string): tf.Scalar => {
    const parts: tf.Scalar[] = [];
    if (terms !== "dice") parts.push(crossEntropy(x, labels));
    if (terms !== "ce") {
      const p = tf.unstack(tf.softmax(x), -1);
      const dice = [1, 2].map((c) => softDiceLoss(p[c], tf.equal(labels, c)));
      parts.push(tf.div(tf.addN(dice), 2));
    }
    return tf.addN(parts) as tf.Scalar;
  };
  for (const terms of ["ce", "dice", "ce+dice"] as const) {
    const fused = (x: tf.Tensor) => supervisedSegmentationLoss(x, labels, terms);
    const value = fused(logits).dataSync()[0], expected = composed(logits, terms).dataSync()[0];
    assert.ok(Math.abs(value - expected) < 1e-6, `${terms}: ${value} vs ${expected}`);
    const g = tf.grad(fused)(logits).dataSync(),
      ge = tf.grad((x) => composed(x, terms))(logits).dataSync();
    g.forEach((v, i) =>
      assert.ok(Math.abs(v - ge[i]) < 1e-6, `${terms} gradient ${i}: ${v} vs ${ge[i]}`)
    );
    assert.ok(gradientError(fused, logits) < 1e-2);
  }
});

Deno.test("USL's hand-written gradient equals autodiff of its definition; the target is a constant", () => {
  const { logits } = smallProblem(9);
  const target = regimeTarget();
  // The definition op by op: autodiff through the per-voxel terms (target constant).
  const definition = (p: tf.Tensor): tf.Scalar => {
    const qMax = tf.max(target, -1), qMin = tf.min(target, -1);
    const w1 = tf.mul(qMax, tf.greater(qMax, 0.7).toFloat());
    const w2 = tf.mul(tf.sub(1, qMin), tf.less(qMin, 0.05).toFloat());
    const w3 = tf.logicalAnd(tf.greater(qMin, 0.05), tf.less(qMax, 0.7)).toFloat();
    const others = tf.sub(1, tf.oneHot(tf.argMax(target, -1).flatten(), 2)).reshape(p.shape);
    const negative = tf.neg(tf.sum(tf.mul(others, tf.log(tf.add(tf.sub(1, p), 1e-8))), -1));
    return tf.mean(tf.addN([
      tf.mul(w1, pseudoLabelNllPerVoxel(p)),
      tf.mul(w2, negative),
      tf.mul(w3, tf.mean(tf.squaredDifference(p, target), -1)),
    ]));
  };
  const pseudoLabelNllPerVoxel = (p: tf.Tensor) =>
    tf.neg(
      tf.log(
        tf.add(
          tf.sum(tf.mul(tf.oneHot(tf.argMax(target, -1).flatten(), 2).reshape(p.shape), p), -1),
          1e-8,
        ),
      ),
    );
  const p = tf.softmax(logits);
  const g = tf.grad((x: tf.Tensor) => unifiedSegmentationLoss(x, target, { t1: 0.7, t2: 0.05 }))(p);
  const expected = tf.grad(definition)(p).dataSync();
  g.dataSync().forEach((v, i) =>
    assert.ok(Math.abs(v - expected[i]) < 1e-5, `${i}: ${v} vs ${expected[i]}`)
  );
  // The target is a constant: asking for its gradient is an error, not a path through max/argmax.
  assert.throws(() =>
    tf.grad((q: tf.Tensor) => unifiedSegmentationLoss(p, q, { t1: 0.7, t2: 0.05 }))(target)
  );
});

Deno.test("pseudo-label Dice is eq 3's Dice against argmax(target), and its gradient passes the check", () => {
  const rng = new Rng(10);
  const logits = tf.tensor(Array.from({ length: 48 }, () => rng.normal() * 2), [2, 2, 2, 2, 3]);
  const target = tf.softmax(
    tf.tensor(Array.from({ length: 48 }, () => rng.normal() * 3), [2, 2, 2, 2, 3]),
  );
  const labels = tf.argMax(target, -1);
  const p = tf.softmax(logits);
  // Eq 3's Dice (the supervised loss with hard labels) is the same value from the logits.
  const expected = supervisedSegmentationLoss(logits, labels, "dice").dataSync()[0];
  const actual = pseudoLabelDiceLoss(p, target).dataSync()[0];
  assert.ok(Math.abs(actual - expected) < 1e-6, `${actual} vs ${expected}`);
  const one = tf.unstack(p, -1), y = tf.unstack(tf.oneHot(labels, 3), -1);
  const perClass =
    (softDiceLoss(one[1], y[1]).dataSync()[0] + softDiceLoss(one[2], y[2]).dataSync()[0]) / 2;
  assert.ok(Math.abs(actual - perClass) < 1e-6);
  // Only the argmax of the target matters: sharpening it changes nothing.
  const sharper = tf.softmax(tf.mul(tf.log(target), 4));
  assert.ok(Math.abs(pseudoLabelDiceLoss(p, sharper).dataSync()[0] - actual) < 1e-6);
  assert.ok(gradientError((x) => pseudoLabelDiceLoss(tf.softmax(x), target), logits) < 1e-2);
});
