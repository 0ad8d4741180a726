/**
 * The convolution cases both kernel tests run (the WebAssembly kernels against tfjs's stock ones,
 * oneDNN's against the WebAssembly ones): odd sizes, batch > 1, channel counts off the SIMD width,
 * 3³ stride 1 and 2, the V-Net's k2 s2 down-convolution (odd input: oneDNN's negative right
 * padding), 1×1×1; each with its forward, both gradients and the transposed convolution (the
 * V-Net's up-convolution), and the tolerance they are compared with.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";

export type Shape5 = [number, number, number, number, number];

export interface ConvCase {
  name: string;
  x: Shape5;
  filter: Shape5;
  stride: number;
  pad: "same" | "valid";
}

const conv = (
  name: string,
  x: Shape5,
  filter: Shape5,
  stride: number,
  pad: "same" | "valid",
): ConvCase => ({ name, x, filter, stride, pad });

export const CONV_CASES: ConvCase[] = [
  conv("3³ same, batch 2, 3→5", [2, 5, 7, 9, 3], [3, 3, 3, 3, 5], 1, "same"),
  conv("3³ same, 1→16, wide rows", [1, 4, 3, 13, 1], [3, 3, 3, 1, 16], 1, "same"),
  conv("3³ same, 17→11", [1, 3, 4, 11, 17], [3, 3, 3, 17, 11], 1, "same"),
  conv("3³ valid, 5→7", [1, 6, 5, 9, 5], [3, 3, 3, 5, 7], 1, "valid"),
  // Forward tiles of 6 voxels span rows, depth and batch; 135 voxels end in a partial tile.
  conv(
    "3³ same, narrow deep layer, batch 3, 24→13",
    [3, 3, 3, 5, 24],
    [3, 3, 3, 24, 13],
    1,
    "same",
  ),
  conv("3³ stride 2 same", [2, 7, 6, 9, 4], [3, 3, 3, 4, 9], 2, "same"),
  conv("2³ stride 2, 16→32", [2, 6, 4, 8, 16], [2, 2, 2, 16, 32], 2, "valid"),
  conv("2³ stride 2, batch 3, 6→10, odd size", [3, 5, 6, 7, 6], [2, 2, 2, 6, 10], 2, "valid"),
  conv("1³, 16→2", [2, 3, 5, 6, 16], [1, 1, 1, 16, 2], 1, "valid"),
];

export interface ConvResults {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
  /** conv3dTranspose of y with the same filter: the up-convolution's kernel. */
  up: Float32Array;
}

/** Forward, both gradients and the transposed convolution of `c` on random data from `seed`. */
export function convResults(c: ConvCase, seed: number): ConvResults {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, "float32", seed) as tf.Tensor5D;
    const w = tf.randomNormal(c.filter, 0, 0.3, "float32", seed + 1) as tf.Tensor5D;
    const apply = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, c.stride, c.pad);
    const y = apply(x, w);
    const dy = tf.randomNormal(y.shape, 0, 1, "float32", seed + 2);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => apply(a, b).mul(dy).sum())([x, w]);
    const up = tf.conv3dTranspose(y, w, c.x, c.stride, c.pad);
    const read = (t: tf.Tensor) => t.dataSync() as Float32Array;
    return { y: read(y), dx: read(dx), dw: read(dw), up: read(up) };
  });
}

/**
 * Fails unless every element of `actual` is within 1e-4 of `expected`, relative to the element,
 * or to the tensor's largest magnitude for elements near zero.
 */
export function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (err > 1e-4 * Math.max(Math.abs(expected[i]), 1e-2 * scale)) {
      assert.fail(`${what}[${i}]: ${actual[i]} vs reference ${expected[i]}`);
    }
  }
}
