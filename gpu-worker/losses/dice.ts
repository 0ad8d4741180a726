import * as tf from "@tensorflow/tfjs";

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
