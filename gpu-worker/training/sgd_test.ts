import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initEngine, shutdownEngine } from "../engine/mod.ts";
import { Sgd } from "./sgd.ts";
import { polyLearningRate, sigmoidRampup, unsupervisedWeight } from "./schedules.ts";

await tf.setBackend("cpu");

Deno.test("Sgd follows PyTorch: g = ∇ + wd·w, buf = g then μ·buf + g, w −= lr·buf", () => {
  const w = tf.variable(tf.tensor1d([1, -2, 0.5]));
  const sgd = new Sgd(new Map([["w", w]]), { momentum: 0.9, weightDecay: 0.1 });
  const grads = [[0.5, 1, -1], [0.2, -0.3, 0.1], [0, 0, 0]];
  const lrs = [0.1, 0.05, 0.02];
  // Hand-rolled reference in float64.
  let ref = [1, -2, 0.5];
  let buf: number[] | undefined;
  grads.forEach((grad, step) => {
    sgd.step({ [w.name]: tf.tensor1d(grad) }, lrs[step]);
    const g = grad.map((v, i) => v + 0.1 * ref[i]);
    buf = buf === undefined ? g : buf.map((b, i) => 0.9 * b + g[i]);
    ref = ref.map((v, i) => v - lrs[step] * buf![i]);
    Array.from(w.dataSync()).forEach((v, i) =>
      assert.ok(Math.abs(v - ref[i]) < 1e-6, `step ${step}`)
    );
  });
  // Restored buffers continue identically.
  const copy = tf.variable(w.clone());
  const restored = new Sgd(new Map([["w", copy]]), { momentum: 0.9, weightDecay: 0.1 });
  restored.loadBuffers(new Map([["w", sgd.buffers.get("w")!]]));
  sgd.step({ [w.name]: tf.tensor1d([1, 1, 1]) }, 0.1);
  restored.step({ [copy.name]: tf.tensor1d([1, 1, 1]) }, 0.1);
  assert.deepEqual(copy.dataSync(), w.dataSync());
  assert.throws(
    () => restored.loadBuffers(new Map([["v", tf.zeros([3])]])),
    /matches no parameter/,
  );
});

Deno.test("the engine's fused update gives the op-by-op update's bits, buffers included", async () => {
  const steps = (seed: number) => {
    const w = tf.variable(tf.randomNormal([4, 3, 5], 0, 1, "float32", seed));
    const sgd = new Sgd(new Map([["w", w]]), { momentum: 0.9, weightDecay: 1e-4 });
    for (let step = 0; step < 3; step++) {
      const grad = tf.randomNormal([4, 3, 5], 0, 1, "float32", seed + step + 1);
      sgd.step({ [w.name]: grad }, 0.05 / (step + 1));
      grad.dispose();
    }
    const result = [w.dataSync().slice(), sgd.buffers.get("w")!.dataSync().slice()];
    sgd.dispose();
    w.dispose();
    return result;
  };
  const [opByOp, opBuffer] = steps(7);
  try {
    await initEngine({ backend: "cpu", threads: 1 });
    assert.ok(tf.getKernel("LlmsegSgdMomentum", "cpu"), "the fused kernel is registered");
    const [fused, fusedBuffer] = steps(7);
    assert.deepEqual(fused, opByOp);
    assert.deepEqual(fusedBuffer, opBuffer);
  } finally {
    shutdownEngine();
  }
  assert.equal(tf.getKernel("LlmsegSgdMomentum", "cpu"), undefined, "unregistered at shutdown");
});

Deno.test("poly learning rate and sigmoid ramp-up follow the lineage formulas", () => {
  assert.equal(polyLearningRate(0.05, 0, 100, 0.9), 0.05);
  assert.ok(Math.abs(polyLearningRate(0.05, 50, 100, 0.9) - 0.05 * 0.5 ** 0.9) < 1e-12);
  assert.equal(sigmoidRampup(0, 40), Math.exp(-5));
  assert.equal(sigmoidRampup(40, 40), 1);
  assert.equal(sigmoidRampup(400, 40), 1);
  assert.ok(Math.abs(sigmoidRampup(20, 40) - Math.exp(-5 * 0.25)) < 1e-12);
  const literal = { unsupSchedule: "constant", rampupIterations: 10, unsupMaxWeight: 1 } as const;
  assert.equal(unsupervisedWeight(literal, 0), 1);
  const rampup = { ...literal, unsupSchedule: "sigmoid-rampup" } as const;
  assert.equal(unsupervisedWeight(rampup, 10), 1);
  // λ scales the whole schedule (the lineage's 0.1·sigmoid-rampup).
  const lineage = { ...rampup, unsupMaxWeight: 0.1 };
  assert.ok(Math.abs(unsupervisedWeight(lineage, 5) - 0.1 * Math.exp(-5 * 0.25)) < 1e-12);
  assert.equal(unsupervisedWeight({ ...literal, unsupMaxWeight: 0.1 }, 0), 0.1);
});
