/**
 * The wasm Conv3D kernels against tfjs's stock cpu kernels on odd shapes, channel counts that are
 * not multiples of 4, batch > 1, the V-Net's kernel/stride/pad combinations; and identical results
 * for 1 and 2 threads.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine, shutdownEngine } from "./mod.ts";

type Shape5 = [number, number, number, number, number];
interface Case {
  name: string;
  x: Shape5;
  filter: Shape5;
  stride: number;
  pad: "same" | "valid";
}

const CASES: Case[] = [
  {
    name: "3x3x3 same, batch 2, 3->5 ch",
    x: [2, 5, 7, 9, 3],
    filter: [3, 3, 3, 3, 5],
    stride: 1,
    pad: "same",
  },
  {
    name: "3x3x3 same, 1->16 ch, wide rows",
    x: [1, 4, 3, 13, 1],
    filter: [3, 3, 3, 1, 16],
    stride: 1,
    pad: "same",
  },
  {
    name: "3x3x3 same, 17->11 ch",
    x: [1, 3, 4, 11, 17],
    filter: [3, 3, 3, 17, 11],
    stride: 1,
    pad: "same",
  },
  {
    name: "2x2x2 stride 2, batch 3, 6->10 ch, odd size",
    x: [3, 5, 6, 7, 6],
    filter: [2, 2, 2, 6, 10],
    stride: 2,
    pad: "valid",
  },
  {
    name: "1x1x1, 16->2 ch",
    x: [2, 3, 5, 6, 16],
    filter: [1, 1, 1, 16, 2],
    stride: 1,
    pad: "valid",
  },
  {
    name: "3x3x3 valid, 5->7 ch",
    x: [1, 6, 5, 9, 5],
    filter: [3, 3, 3, 5, 7],
    stride: 1,
    pad: "valid",
  },
  {
    // Forward tiles of 6 voxels span rows, depth and batch; 135 voxels end in a partial tile.
    name: "3x3x3 same, narrow deep layer, batch 3, 24->13 ch",
    x: [3, 3, 3, 5, 24],
    filter: [3, 3, 3, 24, 13],
    stride: 1,
    pad: "same",
  },
  {
    name: "3x3x3 stride 2 same",
    x: [2, 7, 6, 9, 4],
    filter: [3, 3, 3, 4, 9],
    stride: 2,
    pad: "same",
  },
];

interface Results {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
  up: Float32Array;
}

/** Forward, both gradients, and conv3dTranspose (the k2 s2 up-convolution) of one case. */
function compute(c: Case, seed: number): Results {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, "float32", seed);
    const w = tf.randomNormal(c.filter, 0, 0.3, "float32", seed + 1);
    const conv = (a: tf.Tensor5D, b: tf.Tensor5D) => tf.conv3d(a, b, c.stride, c.pad);
    const y = conv(x as tf.Tensor5D, w as tf.Tensor5D);
    const dy = tf.randomNormal(y.shape, 0, 1, "float32", seed + 2);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      conv(a as tf.Tensor5D, b as tf.Tensor5D).mul(dy).sum()
    )([x, w]);
    const up = tf.conv3dTranspose(y as tf.Tensor5D, w as tf.Tensor5D, c.x, c.stride, c.pad);
    return {
      y: y.dataSync() as Float32Array,
      dx: dx.dataSync() as Float32Array,
      dw: dw.dataSync() as Float32Array,
      up: up.dataSync() as Float32Array,
    };
  });
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    // 1e-4 relative to the element, or to the tensor's scale for elements near zero.
    if (err > 1e-4 * Math.max(Math.abs(expected[i]), 1e-2 * scale)) {
      assert.fail(`${what}[${i}]: ${actual[i]} vs stock ${expected[i]}`);
    }
  }
}

Deno.test("wasm Conv3D kernels match the stock tfjs cpu kernels", async () => {
  await tf.setBackend("cpu");
  const stock = CASES.map((c, i) => compute(c, 10 * i + 1));
  try {
    for (const variant of ["simd128", "relaxed-simd"] as const) {
      const info = await initEngine({ backend: "cpu", threads: 2, variant, cpuEngine: "wasm" });
      for (const k of ["Conv3D", "Conv3DBackpropInputV2", "Conv3DBackpropFilterV2"]) {
        assert.ok(info.kernels.includes(k), `${k} registered`);
      }
      CASES.forEach((c, i) => {
        const fast = compute(c, 10 * i + 1);
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
  const c = CASES[0];
  try {
    await initEngine({ backend: "cpu", threads: 1, cpuEngine: "wasm" });
    const one = compute(c, 7);
    await initEngine({ backend: "cpu", threads: 3, cpuEngine: "wasm" });
    const three = compute(c, 7);
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
