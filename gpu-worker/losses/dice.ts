import * as tf from "@tensorflow/tfjs";
import { pseudoLabelOneHot } from "./pseudo_label.ts";

/** Smoothing of the lineage's `dice_loss` (yulequan/UA-MT code/utils/losses.py). */
export const DICE_SMOOTH = 1e-5;

/**
 * The lineage's soft foreground Dice loss `1 − (2Σp·y + s)/(Σp² + Σy² + s)`, sums over the whole
 * (sub-)batch, s = 1e-5 (docs/METHOD.md 8.9).
 *
 * @param foreground [N, X, Y, Z] foreground probability (softmax channel 1).
 * @param labels [N, X, Y, Z] binary target, any numeric dtype.
 * @returns scalar loss.
 */
export function softDiceLoss(foreground: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const target = labels.toFloat();
    const intersection = tf.sum(tf.mul(foreground, target));
    const predictedSum = tf.sum(tf.square(foreground));
    const targetSum = tf.sum(tf.square(target));
    const ratio = tf.div(
      tf.add(tf.mul(intersection, 2), DICE_SMOOTH),
      tf.add(tf.add(predictedSum, targetSum), DICE_SMOOTH),
    );
    return tf.sub(1, ratio) as tf.Scalar;
  });
}

/**
 * {@link softDiceLoss}'s numerator `2Σp·y + s` and denominator `Σp² + Σy + s` for every class at
 * once (classes last; y one-hot, so Σy² = Σy), sums over the whole (sub-)batch.
 *
 * @returns two [K] tensors.
 */
export function classDiceTerms(
  probabilities: tf.Tensor,
  oneHot: tf.Tensor,
): { numerator: tf.Tensor1D; denominator: tf.Tensor1D } {
  const voxelAxes = Array.from({ length: probabilities.rank - 1 }, (_, i) => i);
  return {
    numerator: tf.add(tf.mul(tf.sum(tf.mul(probabilities, oneHot), voxelAxes), 2), DICE_SMOOTH),
    denominator: tf.add(
      tf.add(tf.sum(tf.square(probabilities), voxelAxes), tf.sum(oneHot, voxelAxes)),
      DICE_SMOOTH,
    ),
  };
}

/**
 * `mean over c ≥ 1 of 1 − numerator[c]/denominator[c]` from {@link classDiceTerms}: class 0
 * (background) takes no part in Dice.
 */
export function meanForegroundDice(numerator: tf.Tensor1D, denominator: tf.Tensor1D): tf.Scalar {
  const classes = numerator.shape[0];
  const dice = tf.sub(1, tf.div(numerator, denominator)).slice([1], [classes - 1]);
  return tf.div(tf.sum(dice), classes - 1) as tf.Scalar;
}

/**
 * Mean over the foreground classes c ≥ 1 of {@link softDiceLoss}(p[..., c], y[..., c]): the Dice
 * term of eq 3, here for a one-hot target given as a tensor (for K = 2 the lineage's foreground Dice).
 *
 * @param probabilities [N, X, Y, Z, K] (gradient flows here).
 * @param oneHot [N, X, Y, Z, K] the target classes, one-hot.
 * @returns scalar loss.
 */
export function foregroundDiceLoss(probabilities: tf.Tensor, oneHot: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const { numerator, denominator } = classDiceTerms(probabilities, oneHot);
    return meanForegroundDice(numerator, denominator);
  });
}

/**
 * Dice against the partner's hard pseudo-labels: {@link foregroundDiceLoss}(prediction,
 * onehot(argmax target)), the `usl+dice` L_u's second term. Unlike the voxel-mean USL it weighs the
 * small foreground as much as the background (docs/results.md: it lifts network A at 14 labelled
 * cases, but does not stop the collapse at 4 labelled with weight 1).
 *
 * @param prediction [N, X, Y, Z, K] probabilities (gradient flows here).
 * @param target [N, X, Y, Z, K] the other network's probabilities (a constant).
 */
export function pseudoLabelDiceLoss(prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => foregroundDiceLoss(prediction, pseudoLabelOneHot(target)));
}
