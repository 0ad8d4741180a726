import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "@llmseg/shared";
import { createNetwork, NetworkConfigSchema } from "../networks/mod.ts";
import { cutMixMask, drawCutMix } from "../transforms/mod.ts";
import { EmaTeacher } from "./ema_teacher.ts";
import { cotrainStep, type Member, type StepBatch, supervisedStep } from "./step.ts";
import { Sgd } from "./sgd.ts";
import { stopGradient } from "./stop_gradient.ts";
import { unsupervisedLoss } from "./objectives.ts";

await tf.setBackend("cpu");

const settingsConfig = { supLoss: "ce+dice", unsupLoss: "usl", t1: 0.7, t2: 0.05 } as const;

const createNetworkFor = (seed: number, dropout = true) =>
  createNetwork(
    NetworkConfigSchema.parse({ arch: "vnet", width: 1, beta: 0.1, textHidden: 8, dropout }),
    seed,
    new Float32Array(768).fill(0.01),
  );

function member(seed: number, dropout = true): Member {
  const network = createNetworkFor(seed, dropout);
  const trainable = new Map(
    [...network.namedState()].filter(([, v]) => v.trainable),
  );
  return { network, optimizer: new Sgd(trainable, { momentum: 0.9, weightDecay: 1e-4 }) };
}

function batch(seed: number): StepBatch {
  const rng = new Rng(seed);
  const inputs = tf.tensor5d(Array.from({ length: 4 * 4096 }, () => rng.normal()), [
    4,
    16,
    16,
    16,
    1,
  ]);
  const labels = tf.tensor4d(
    Array.from({ length: 2 * 4096 }, (_, i) => ((i >> 8) % 16 > 7 ? 1 : 0)),
    [2, 16, 16, 16],
    "int32",
  );
  const boxes = drawCutMix(2, [16, 16, 16], rng);
  return {
    inputs,
    labels,
    cutmix: { mask: cutMixMask(boxes, [16, 16, 16]), partner: boxes.partner, source: "unlabelled" },
  };
}

Deno.test("stopGradient passes values and blocks gradients", () => {
  const x = tf.tensor([1, 2, 3]);
  assert.deepEqual(Array.from(stopGradient(x).dataSync()), [1, 2, 3]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.add(tf.mul(stopGradient(t), t), t)))(x);
  assert.deepEqual(Array.from(g.dataSync()), [2, 3, 4]);
});

for (const mean of [false, true]) {
  Deno.test(`co-training step${mean ? " with mean teachers" : ""}: finite losses, both networks move, no tensors leak`, async () => {
    const a = member(1), b = member(2);
    const teachers = mean
      ? {
        a: new EmaTeacher(createNetworkFor(1), 0.99),
        b: new EmaTeacher(createNetworkFor(2), 0.99),
      }
      : undefined;
    const data = batch(3);
    const rng = new Rng(4);
    const before = a.network.trainableVariables[0].dataSync().slice();
    const beforeB = b.network.trainableVariables[0].dataSync().slice();
    const counts: number[] = [];
    for (let it = 0; it < 3; it++) {
      const losses = await cotrainStep(a, b, data, {
        config: settingsConfig,
        lr: 0.05,
        unsupWeight: 1,
        rng,
        teachers,
      });
      teachers?.a.follow(a.network, it);
      teachers?.b.follow(b.network, it);
      assert.ok(Number.isFinite(losses.total) && losses.unsupervised > 0 && losses.supervised > 0);
      assert.ok(Math.abs(losses.total - losses.supervised - losses.unsupervised) < 1e-4);
      counts.push(tf.memory().numTensors);
    }
    // The first step creates the momentum buffers; afterwards the count must not grow.
    assert.equal(counts[2], counts[1]);
    assert.notDeepEqual(a.network.trainableVariables[0].dataSync(), before);
    assert.notDeepEqual(b.network.trainableVariables[0].dataSync(), beforeB);
  });
}

Deno.test("co-training step with labelled partners: B's targets in the boxes are the labels", async () => {
  // Every voxel from the partner: B sees the labelled samples where it would see unlabelled ones,
  // and learns the labels there; A's mixed predictions are its predictions on the labelled samples.
  const a = member(1, false), b = member(2, false);
  const data = batch(3);
  const ones = tf.ones([2, 16, 16, 16, 1]) as tf.Tensor5D;
  const labelled: StepBatch = {
    ...data,
    cutmix: { mask: ones, partner: [0, 1], source: "labelled" },
  };
  const expected = tf.tidy(() => {
    const xLabeled = data.inputs.slice([0], [2]);
    const probA = tf.softmax(a.network.apply(data.inputs, { training: true }).slice([0], [2]));
    const probB = tf.softmax(
      b.network.apply(tf.concat([xLabeled, xLabeled]), { training: true }).slice([2], [2]),
    );
    const labels = tf.oneHot(data.labels.flatten(), 2).toFloat().reshape(probB.shape);
    return unsupervisedLoss({ a: probA, b: probB }, { a: labels, b: probB }, settingsConfig)
      .dataSync()[0];
  });
  const losses = await cotrainStep(a, b, labelled, {
    config: settingsConfig,
    lr: 0.05,
    unsupWeight: 1,
    rng: new Rng(4),
  });
  assert.ok(
    Math.abs(losses.unsupervised - expected) < 1e-5,
    `${losses.unsupervised} vs ${expected}`,
  );
});

Deno.test("supervised-only step lowers the loss on a fixed batch and leaks nothing", async () => {
  const a = member(5);
  const data = batch(6);
  const labeled = { inputs: data.inputs.slice([0], [2]) as tf.Tensor5D, labels: data.labels };
  const rng = new Rng(7);
  const losses: number[] = [];
  const counts: number[] = [];
  for (let it = 0; it < 4; it++) {
    losses.push(
      (await supervisedStep(a, labeled, { config: settingsConfig, lr: 0.05, unsupWeight: 0, rng }))
        .total,
    );
    counts.push(tf.memory().numTensors);
  }
  assert.equal(counts[3], counts[1]);
  assert.ok(losses[3] < losses[0], `loss ${losses[0]} → ${losses[3]}`);
});
