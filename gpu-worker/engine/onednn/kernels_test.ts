/**
 * The oneDNN kernels (issue #13) against the WebAssembly engine's on small random shapes: odd
 * sizes, batch > 1, channel counts off the SIMD width, 3³ stride 1 and 2, the V-Net's k2 s2
 * down-convolution (odd input: oneDNN's negative right padding), 1×1×1, and the up-convolution's
 * matMul with each transposition. Skipped, with the reason in the test name, where the shim or
 * libdnnl is absent.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine, shutdownEngine } from "../mod.ts";
import { ConvKind, loadOneDnn } from "./library.ts";
import { convParams } from "../conv3d_kernels.ts";

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
    name: "3³ same, batch 2, 3→5",
    x: [2, 5, 7, 9, 3],
    filter: [3, 3, 3, 3, 5],
    stride: 1,
    pad: "same",
  },
  { name: "3³ same, 1→16", x: [1, 4, 3, 13, 1], filter: [3, 3, 3, 1, 16], stride: 1, pad: "same" },
  {
    name: "3³ same, 17→11",
    x: [1, 3, 4, 11, 17],
    filter: [3, 3, 3, 17, 11],
    stride: 1,
    pad: "same",
  },
  { name: "3³ valid, 5→7", x: [1, 6, 5, 9, 5], filter: [3, 3, 3, 5, 7], stride: 1, pad: "valid" },
  { name: "3³ stride 2 same", x: [2, 7, 6, 9, 4], filter: [3, 3, 3, 4, 9], stride: 2, pad: "same" },
  {
    name: "2³ stride 2, 16→32",
    x: [2, 6, 4, 8, 16],
    filter: [2, 2, 2, 16, 32],
    stride: 2,
    pad: "valid",
  },
  {
    name: "2³ stride 2, odd size",
    x: [3, 5, 6, 7, 6],
    filter: [2, 2, 2, 6, 10],
    stride: 2,
    pad: "valid",
  },
  { name: "1³, 16→2", x: [2, 3, 5, 6, 16], filter: [1, 1, 1, 16, 2], stride: 1, pad: "valid" },
];

/** Forward and both gradients of a case, and a matMul with each transposition. */
function compute(c: Case, seed: number): Record<string, Float32Array> {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, "float32", seed) as tf.Tensor5D;
    const w = tf.randomNormal(c.filter, 0, 0.3, "float32", seed + 1) as tf.Tensor5D;
    const conv = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, c.stride, c.pad);
    const y = conv(x, w);
    const dy = tf.randomNormal(y.shape, 0, 1, "float32", seed + 2);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => conv(a, b).mul(dy).sum())([x, w]);
    const a = tf.randomNormal([37, 13], 0, 1, "float32", seed + 3) as tf.Tensor2D;
    const b = tf.randomNormal([13, 21], 0, 1, "float32", seed + 4) as tf.Tensor2D;
    const at = tf.randomNormal([1, 13, 37], 0, 1, "float32", seed + 5) as tf.Tensor3D;
    const bt = tf.randomNormal([21, 13], 0, 1, "float32", seed + 6) as tf.Tensor2D;
    return Object.fromEntries(
      Object.entries({
        y,
        dx,
        dw,
        ab: tf.matMul(a, b),
        atb: tf.matMul(at, b.reshape([1, 13, 21]), true, false),
        abt: tf.matMul(a, bt, false, true),
        atbt: tf.matMul(at.reshape([13, 37]), bt, true, true),
      }).map(([k, t]) => [k, t.dataSync() as Float32Array]),
    );
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
      assert.fail(`${what}[${i}]: ${actual[i]} vs wasm ${expected[i]}`);
    }
  }
}

const loaded = loadOneDnn(2);
const skip = "reason" in loaded ? ` (skipped: ${loaded.reason})` : "";

Deno.test({
  name: `oneDNN Conv3D, its gradients and BatchMatMul match the wasm kernels${skip}`,
  ignore: skip !== "",
  fn: async () => {
    try {
      await initEngine({ backend: "cpu", threads: 2, cpuEngine: "wasm" });
      const wasm = CASES.map((c, i) => compute(c, 10 * i + 1));
      const info = await initEngine({ backend: "cpu", threads: 2, cpuEngine: "onednn" });
      assert.equal(info.cpuEngine, "onednn");
      CASES.forEach((c, i) => {
        const native = compute(c, 10 * i + 1);
        for (const key of Object.keys(native)) {
          assertClose(native[key], wasm[i][key], `${c.name} ${key}`);
        }
      });
    } finally {
      shutdownEngine();
    }
  },
});

Deno.test({
  name: `oneDNN runs every case and the V-Net's 3³ 16→16 on its own JIT kernels${skip}`,
  ignore: skip !== "",
  fn: () => {
    if (!("library" in loaded)) return;
    const vnet: Case = {
      name: "V-Net 3³ 16→16",
      x: [2, 8, 12, 8, 16],
      filter: [3, 3, 3, 16, 16],
      stride: 1,
      pad: "same",
    };
    for (const c of [...CASES, vnet]) {
      const info = tf.backend_util.computeConv3DInfo(c.x, c.filter, c.stride, 1, c.pad);
      const params = Int32Array.from(convParams(info));
      for (const kind of [ConvKind.forward, ConvKind.backwardData, ConvKind.backwardWeights]) {
        const impl = loaded.library.convImplementation(kind, params);
        assert.ok(impl !== undefined, `${c.name} kind ${kind}: oneDNN has no kernel`);
        // The reference implementations are correct but slow: the V-Net's convolutions must not get them.
        if (c === vnet) assert.doesNotMatch(impl, /^ref/, `${c.name} kind ${kind}: ${impl}`);
      }
    }
  },
});
