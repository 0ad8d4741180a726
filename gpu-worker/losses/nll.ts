import * as tf from "@tensorflow/tfjs";
import { pseudoLabelOneHot } from "./pseudo_label.ts";

/** Guards log(0) (docs/METHOD.md 5 DEFAULT). */
export const LOG_EPS = 1e-8;

/**
 * Per-voxel negative log-likelihood of the pseudo-label `c* = argmax target`:
 * `−log(p[c*] + eps)` (docs/METHOD.md 5, "pos"; 8.2 reads NLL as −log p).
 *
 * @param prediction [N, X, Y, Z, K] probabilities.
 * @param target [N, X, Y, Z, K] probabilities whose argmax is the pseudo-label.
 * @returns [N, X, Y, Z].
 */
export function voxelPseudoLabelNll(prediction: tf.Tensor, target: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const pseudo = pseudoLabelOneHot(target);
    return tf.neg(tf.log(tf.add(tf.sum(tf.mul(pseudo, prediction), -1), LOG_EPS)));
  });
}

/**
 * The L_u = NLL ablation (Table 7): mean over voxels of {@link voxelPseudoLabelNll}.
 *
 * @param prediction [N, X, Y, Z, K] probabilities (gradient flows here).
 * @param target [N, X, Y, Z, K] probabilities of the other network (treated as constant).
 * @returns scalar loss.
 */
export function pseudoLabelNll(prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(voxelPseudoLabelNll(prediction, target)));
}
