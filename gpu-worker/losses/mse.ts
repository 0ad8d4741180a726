import * as tf from "@tensorflow/tfjs";

/**
 * Mean squared error between two probability maps, mean over voxels and classes
 * (`(1/K)·Σ_c (p_c − q_c)²` averaged over voxels; docs/METHOD.md 5 and 8.3). Used inside USL for the
 * uncertain voxels and alone as the L_u = MSE ablation (Table 7).
 *
 * @param prediction [N, X, Y, Z, K] softmax probabilities (gradient flows here).
 * @param target [N, X, Y, Z, K] softmax probabilities of the other network (treated as constant).
 * @returns scalar loss.
 */
export function meanSquaredError(prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(prediction, target)));
}

/** Per-voxel MSE `(1/K)·Σ_c (p_c − q_c)²`: [N, X, Y, Z, K] → [N, X, Y, Z]. */
export function voxelSquaredError(prediction: tf.Tensor, target: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mean(tf.squaredDifference(prediction, target), -1));
}
