/**
 * The wasm Conv3D kernels against tfjs's stock cpu kernels on the shared cases
 * (testing/conv_cases.ts), and identical results for 1 and 3 threads.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine, shutdownEngine } from "./mod.ts";
import { assertClose, CONV_CASES, convResults } from "./testing/conv_cases.ts";

Deno.test("wasm Conv3D kernels match the stock tfjs cpu kernels", async () => {
  await tf.setBackend("cpu");
  const stock = CONV_CASES.map((c, i) => convResults(c, 10 * i + 1));
  try {
    for (const variant of ["simd128", "relaxed-simd"] as const) {
      const info = await initEngine({ backend: "cpu", threads: 2, variant, cpuEngine: "wasm" });
      for (const k of ["Conv3D", "Conv3DBackpropInputV2", "Conv3DBackpropFilterV2"]) {
        assert.ok(info.kernels.includes(k), `${k} registered`);
      }
      CONV_CASES.forEach((c, i) => {
        const fast = convResults(c, 10 * i + 1);
        for (const key of ["y", "dx", "dw", "up"] as const) {
          assertClose(fast[key], stock[i][key], `${variant} ${c.name} ${key}`);
        }
      });
    }
  } finally {
    shutdownEngine();
  }
});

Deno.test("wasm Conv3D kernels give identical results for 1 and 3 threads", async () => {
  const c = CONV_CASES[0];
  try {
    await initEngine({ backend: "cpu", threads: 1, cpuEngine: "wasm" });
    const one = convResults(c, 7);
    await initEngine({ backend: "cpu", threads: 3, cpuEngine: "wasm" });
    const three = convResults(c, 7);
    assert.deepStrictEqual(three, one);
  } finally {
    shutdownEngine();
  }
});

Deno.test("filter gradient of a larger case (64 -> 8 channels, batch 2, 1 MB input) matches stock", async () => {
  await tf.setBackend("cpu");
  const dw = () =>
    tf.tidy(() => {
      const x = tf.randomNormal([2, 12, 12, 15, 64], 0, 1, "float32", 41) as tf.Tensor5D;
      const dy = tf.randomNormal([2, 12, 12, 15, 8], 0, 1, "float32", 42);
      const f = tf.randomNormal([3, 3, 3, 64, 8], 0, 0.1, "float32", 43);
      return tf.grad((w: tf.Tensor) => tf.conv3d(x, w as tf.Tensor5D, 1, "same").mul(dy).sum())(f)
        .dataSync() as Float32Array;
    });
  const stock = dw();
  try {
    await initEngine({ backend: "cpu", threads: 2, cpuEngine: "wasm" });
    assertClose(dw(), stock, "dw");
  } finally {
    shutdownEngine();
  }
});
