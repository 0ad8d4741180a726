import * as tf from "@tensorflow/tfjs";

/** Identity whose gradient is zero (PyTorch `.detach()`; tfjs has no stop-gradient op). */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad(
  // tfjs passes the inputs followed by a save function; only the first input is used.
  (...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = inputs[0] as tf.Tensor;
    return { value: x.clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  },
) as (x: tf.Tensor) => tf.Tensor;
