import * as tf from "@tensorflow/tfjs";
import { LOG_EPS, voxelPseudoLabelNll } from "./nll.ts";
import { voxelSquaredError } from "./mse.ts";

/*
 * The indicators use only GreaterEqual: inside a training step the (stop-gradient) target is still
 * on the tape, and tfjs registers no gradient for Greater, Less or LogicalAnd.
 */
/** [x > t] as float. */
function above(x: tf.Tensor, t: number): tf.Tensor {
  return tf.sub(1, tf.greaterEqual(t, x).toFloat());
}

/** [x < t] as float. */
function below(x: tf.Tensor, t: number): tf.Tensor {
  return tf.sub(1, tf.greaterEqual(x, t).toFloat());
}

/** USL confidence thresholds (docs/METHOD.md 1.2; DEFAULT t1 = 0.70, t2 = 0.05 from UPS). */
export interface UslThresholds {
  t1: number;
  t2: number;
}

/**
 * Unified Segmentation Loss (paper eqs 8–11, docs/METHOD.md 5): per voxel, with q the target
 * probabilities, `c* = argmax q`,
 * `w1 = max q·[max q > t1]`, `w2 = (1 − min q)·[min q < t2]`, `w3 = [t2 < min q ∧ max q < t1]`,
 * `USL_v = w1·(−log(p[c*] + ε)) + w2·(−Σ_{c≠c*} log(1 − p[c] + ε)) + w3·MSE_v(p, q)`,
 * mean over all voxels (no renormalisation by the weights).
 *
 * The weights depend on the target only; it is treated as a constant (the caller passes a
 * stop-gradient target, as in docs/METHOD.md 5).
 *
 * @param prediction [N, X, Y, Z, K] softmax probabilities (gradient flows here).
 * @param target [N, X, Y, Z, K] the other network's softmax probabilities.
 * @returns scalar loss.
 */
export function unifiedSegmentationLoss(
  prediction: tf.Tensor,
  target: tf.Tensor,
  { t1, t2 }: UslThresholds,
): tf.Scalar {
  return tf.tidy(() => {
    const classes = prediction.shape[prediction.rank - 1];
    const qMax = tf.max(target, -1);
    const qMin = tf.min(target, -1);
    const w1 = tf.mul(qMax, above(qMax, t1));
    const w2 = tf.mul(tf.sub(1, qMin), below(qMin, t2));
    const w3 = tf.mul(above(qMin, t2), below(qMax, t1));
    const positive = voxelPseudoLabelNll(prediction, target);
    const others = tf.sub(1, tf.oneHot(tf.argMax(target, -1).flatten(), classes))
      .reshape(prediction.shape);
    const negative = tf.neg(
      tf.sum(tf.mul(others, tf.log(tf.add(tf.sub(1, prediction), LOG_EPS))), -1),
    );
    const mse = voxelSquaredError(prediction, target);
    return tf.mean(tf.addN([tf.mul(w1, positive), tf.mul(w2, negative), tf.mul(w3, mse)]));
  });
}
