import * as tf from "@tensorflow/tfjs";
import { classDiceTerms, meanForegroundDice } from "./dice.ts";

/** Which terms of eq 3 (docs/METHOD.md 1.1) the supervised loss sums. */
export type SupervisedTerms = "ce" | "dice" | "ce+dice";

/**
 * The supervised loss of eq 3 from logits, in one differentiable op with a hand-written gradient
 * (issue #13: through autodiff, the softmax, the per-class unstack and Dice's sums cost more than
 * a V-Net layer). The value is {@link crossEntropy} plus the mean over foreground classes c ≥ 1 of
 * {@link softDiceLoss}(softmax(logits)[..., c], labels = c), as docs/METHOD.md 8.9 writes them.
 *
 * Gradient with p = softmax(z), y the one-hot labels, V voxels, per class I = Σp·y, D = Σp² + Σy² + s:
 * CE gives (p − y)/V; Dice class c gives ∂/∂p_c = (2(2I + s)·p_c − 2D·y_c)/D² / (K − 1), taken
 * through the softmax as p ⊙ (g − Σ_k p_k g_k).
 *
 * @param logits [N, X, Y, Z, K].
 * @param labels [N, X, Y, Z] int32 class indices.
 */
export function supervisedSegmentationLoss(
  logits: tf.Tensor,
  labels: tf.Tensor,
  terms: SupervisedTerms,
): tf.Scalar {
  const classes = logits.shape[logits.rank - 1];
  const voxels = logits.size / classes;
  const loss = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const z = inputs[0] as tf.Tensor, save = inputs[1] as tf.GradSaveFunc;
    const target = tf.oneHot(labels.flatten().toInt(), classes).reshape(z.shape);
    const p = tf.softmax(z);
    const parts: tf.Tensor[] = [];
    if (terms !== "dice") {
      parts.push(tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(z)), -1))));
    }
    // Per class: 2I + s and D; class 0 (background) takes no part in Dice.
    const dice = terms === "ce" ? undefined : classDiceTerms(p, target);
    if (dice) parts.push(meanForegroundDice(dice.numerator, dice.denominator));
    save(dice ? [p, target, dice.numerator, dice.denominator] : [p, target]);
    return {
      value: tf.addN(parts) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [p, target, numerator, denominator] = saved;
        const grads: tf.Tensor[] = [];
        if (terms !== "dice") grads.push(tf.div(tf.sub(p, target), voxels));
        if (numerator && denominator) {
          const foreground = tf.tensor1d(
            Array.from({ length: classes }, (_, c) => (c === 0 ? 0 : 1 / (classes - 1))),
          );
          const byP = tf.mul(tf.div(tf.mul(numerator, 2), tf.square(denominator)), foreground);
          const byY = tf.mul(tf.div(2, denominator), foreground);
          const g = tf.sub(tf.mul(p, byP), tf.mul(target, byY));
          grads.push(tf.mul(p, tf.sub(g, tf.sum(tf.mul(p, g), -1, true))));
        }
        return [tf.mul(dy, tf.addN(grads))];
      },
    };
  }) as (z: tf.Tensor) => tf.Scalar;
  return loss(logits);
}
