import * as tf from "@tensorflow/tfjs";

/**
 * The hard pseudo-label `c* = argmax target` of every voxel, one-hot (docs/METHOD.md 5).
 *
 * @param target [N, X, Y, Z, K] probabilities.
 * @returns [N, X, Y, Z, K] float one-hot.
 */
export function pseudoLabelOneHot(target: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const classes = target.shape[target.rank - 1];
    return tf.oneHot(tf.argMax(target, -1).flatten(), classes).reshape(target.shape);
  });
}
