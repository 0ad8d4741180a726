import * as tf from "@tensorflow/tfjs";

/**
 * Relative error `‖g − ĝ‖ / ‖ĝ‖` between the autodiff gradient g of `loss` at `x` and the central
 * finite-difference gradient ĝ (step `h` on every entry). For tests of the losses; keep `x` tiny.
 */
export function gradientError(
  loss: (x: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  h = 1e-2,
): number {
  const analytic = tf.tidy(() => tf.grad(loss)(x).dataSync() as Float32Array);
  const values = x.dataSync() as Float32Array;
  let errorSquared = 0, normSquared = 0;
  for (let i = 0; i < values.length; i++) {
    const at = (delta: number): number =>
      tf.tidy(() => {
        const shifted = values.slice();
        shifted[i] += delta;
        return loss(tf.tensor(shifted, x.shape)).dataSync()[0];
      });
    const numeric = (at(h) - at(-h)) / (2 * h);
    errorSquared += (analytic[i] - numeric) ** 2;
    normSquared += numeric ** 2;
  }
  return Math.sqrt(errorSquared / normSquared);
}
