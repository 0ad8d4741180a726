/**
 * The oneDNN kernels (issue #13) against the WebAssembly engine's on the shared convolution cases
 * (testing/conv_cases.ts, the up-convolution's transposed convolution included) and a matMul with
 * each transposition. Skipped, with the reason in the test name, where the shim or libdnnl is
 * absent.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initEngine, shutdownEngine } from "../mod.ts";
import { ConvKind, loadOneDnn } from "./library.ts";
import { convParams } from "../conv3d_kernels.ts";
import { assertClose, CONV_CASES, type ConvCase, convResults } from "../testing/conv_cases.ts";

/** A matMul with each transposition (the text branch's Linear layers run BatchMatMul). */
function matMuls(seed: number): Record<string, Float32Array> {
  return tf.tidy(() => {
    const a = tf.randomNormal([37, 13], 0, 1, "float32", seed + 3) as tf.Tensor2D;
    const b = tf.randomNormal([13, 21], 0, 1, "float32", seed + 4) as tf.Tensor2D;
    const at = tf.randomNormal([1, 13, 37], 0, 1, "float32", seed + 5) as tf.Tensor3D;
    const bt = tf.randomNormal([21, 13], 0, 1, "float32", seed + 6) as tf.Tensor2D;
    return Object.fromEntries(
      Object.entries({
        ab: tf.matMul(a, b),
        atb: tf.matMul(at, b.reshape([1, 13, 21]), true, false),
        abt: tf.matMul(a, bt, false, true),
        atbt: tf.matMul(at.reshape([13, 37]), bt, true, true),
      }).map(([k, t]) => [k, t.dataSync() as Float32Array]),
    );
  });
}

/** A case's convolution results and the matMuls, by name. */
function compute(c: ConvCase, seed: number): Record<string, Float32Array> {
  return { ...convResults(c, seed), ...matMuls(seed) };
}

const loaded = loadOneDnn(2);
const skip = "reason" in loaded ? ` (skipped: ${loaded.reason})` : "";

Deno.test({
  name: `oneDNN Conv3D, its gradients and BatchMatMul match the wasm kernels${skip}`,
  ignore: skip !== "",
  fn: async () => {
    try {
      await initEngine({ backend: "cpu", threads: 2, cpuEngine: "wasm" });
      const wasm = CONV_CASES.map((c, i) => compute(c, 10 * i + 1));
      const info = await initEngine({ backend: "cpu", threads: 2, cpuEngine: "onednn" });
      assert.equal(info.cpuEngine, "onednn");
      CONV_CASES.forEach((c, i) => {
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
    const vnet: ConvCase = {
      name: "V-Net 3³ 16→16",
      x: [2, 8, 12, 8, 16],
      filter: [3, 3, 3, 16, 16],
      stride: 1,
      pad: "same",
    };
    for (const c of [...CONV_CASES, vnet]) {
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
