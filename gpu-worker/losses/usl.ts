import * as tf from "@tensorflow/tfjs";
import { LOG_EPS } from "./nll.ts";
import { voxelSquaredError } from "./mse.ts";
import { pseudoLabelOneHot } from "./pseudo_label.ts";

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
 * The weights depend on the target only; it is a constant (docs/METHOD.md 5's stop-gradient): one op
 * with a hand-written gradient in the prediction only (issue #13: autodiff went back through the
 * target's max, min and argmax to reach the stop-gradient, and through every broadcast).
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
  const classes = prediction.shape[prediction.rank - 1];
  const voxels = prediction.size / classes;
  // The target enters by closure, not as an input: nothing computed from it is on the tape.
  const loss = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const p = inputs[0] as tf.Tensor, save = inputs[1] as tf.GradSaveFunc;
    const qMax = tf.max(target, -1);
    const qMin = tf.min(target, -1);
    const w1 = tf.mul(qMax, above(qMax, t1));
    const w2 = tf.mul(tf.sub(1, qMin), below(qMin, t2));
    const w3 = tf.mul(above(qMin, t2), below(qMax, t1));
    const pseudo = pseudoLabelOneHot(target);
    const others = tf.sub(1, pseudo);
    const atPseudo = tf.add(tf.sum(tf.mul(pseudo, p), -1), LOG_EPS);
    const positive = tf.neg(tf.log(atPseudo));
    const complement = tf.add(tf.sub(1, p), LOG_EPS);
    const negative = tf.neg(tf.sum(tf.mul(others, tf.log(complement)), -1));
    const mse = voxelSquaredError(p, target);
    // Saved, not captured: the target's own memory may be freed before the backward pass.
    const residual = tf.sub(p, target);
    save([w1, w2, w3, pseudo, others, atPseudo, complement, residual]);
    return {
      value: tf.mean(tf.addN([tf.mul(w1, positive), tf.mul(w2, negative), tf.mul(w3, mse)])),
      // ∂USL/∂p = (1/V)·(−w1·[c = c*]/(p[c*] + ε) + w2·[c ≠ c*]/(1 − p + ε) + w3·2(p − q)/K).
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [w1, w2, w3, pseudo, others, atPseudo, complement, residual] = saved;
        const column = (t: tf.Tensor) => tf.expandDims(t, -1);
        const grad = tf.addN([
          tf.mul(pseudo, column(tf.neg(tf.div(w1, atPseudo)))),
          tf.div(tf.mul(others, column(w2)), complement),
          tf.mul(residual, column(tf.mul(w3, 2 / classes))),
        ]);
        return [tf.mul(grad, tf.div(dy, voxels))];
      },
    };
  }) as (p: tf.Tensor) => tf.Scalar;
  return loss(prediction);
}
