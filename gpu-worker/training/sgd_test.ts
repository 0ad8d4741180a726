import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
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
