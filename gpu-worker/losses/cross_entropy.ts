import * as tf from "@tensorflow/tfjs";

/**
 * Cross-entropy of logits against integer labels, mean over all voxels (PyTorch
 * `F.cross_entropy`, docs/METHOD.md 1.1 eq 3 and 8.9).
 *
 * @param logits [N, X, Y, Z, K] raw network outputs, classes last.
 * @param labels [N, X, Y, Z] int32 class indices in [0, K).
 * @returns scalar loss.
 */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[logits.rank - 1];
    const logProbabilities = tf.logSoftmax(logits);
    const target = tf.oneHot(labels.flatten().toInt(), classes).reshape(logits.shape);
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logProbabilities), -1)));
  });
}
