/**
 * Parity with PyTorch: one co-training iteration of docs/METHOD.md 5 (given weights, batch, noise and
 * CutMix boxes) reproduce the losses and the updated weights and BN statistics of
 * `tests/fixtures/cotrain/make_fixture.py`.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "@llmseg/shared";
import { readSafetensors, type TensorEntry, toFloat32 } from "../checkpoint/safetensors.ts";
import { torchConvToTfjs, torchDeconvToTfjs, transpose2d } from "../networks/layers.ts";
import { createNetwork, NetworkConfigSchema } from "../networks/mod.ts";
import { cotrainStep, type Member } from "./step.ts";
import { Sgd } from "./sgd.ts";

await tf.setBackend("cpu");

const fixture = decodeURIComponent(
  new URL("../../tests/fixtures/cotrain/cotrain.safetensors", import.meta.url).pathname,
);

/** A PyTorch tensor in tfjs layout (conv `[k,k,k,Cin,Cout]`, up-conv `[2,2,2,Cout,Cin]`, linear `[in,out]`). */
function toTfjs(name: string, entry: TensorEntry): Float32Array {
  const values = toFloat32(entry);
  const [d0, d1, k] = entry.shape;
  if (entry.shape.length === 5) {
    return /_up\.conv\.0\.weight$/.test(name)
      ? torchDeconvToTfjs(values, d0, d1)
      : torchConvToTfjs(values, d0, d1, k);
  }
  return entry.shape.length === 2 ? transpose2d(values, d0, d1) : values;
}

/** NCDHW → NDHWC. */
function channelsLast(entry: TensorEntry): tf.Tensor5D {
  const ncdhw: tf.Tensor = tf.tensor(toFloat32(entry), entry.shape);
  return tf.transpose(ncdhw, [0, 2, 3, 4, 1]) as tf.Tensor5D;
}

function maxRelativeDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0, worst = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(scale, 1e-3));
  }
  return worst;
}

Deno.test("co-training iteration matches the PyTorch reference (losses, weights, BN statistics)", async () => {
  const file = await readSafetensors(fixture);
  const t = (name: string): TensorEntry => file.tensors.get(name)!;
  const knowledge = toFloat32(t("knowledge"));
  const config = NetworkConfigSchema.parse({
    arch: "vnet",
    width: Number(file.metadata.width),
    dropout: false,
    beta: Number(file.metadata.beta),
    textHidden: Number(file.metadata.text_hidden),
  });
  const member = (prefix: string): Member => {
    const network = createNetwork(config, 0, knowledge);
    for (const [name, variable] of network.namedState()) {
      variable.assign(tf.tensor(toTfjs(name, t(`${prefix}/${name}`)), variable.shape));
    }
    const trainable = new Map([...network.namedState()].filter(([, v]) => v.trainable));
    return { network, optimizer: new Sgd(trainable, { momentum: 0.9, weightDecay: 1e-4 }) };
  };
  const a = member("a0"), b = member("b0");
  const inputs = tf.add(channelsLast(t("x")), channelsLast(t("eta"))) as tf.Tensor5D;
  const yEntry = t("y");
  const labels = tf.tensor4d(
    Int32Array.from(toFloat32(yEntry)),
    yEntry.shape as [number, number, number, number],
  );
  const batch = {
    inputs,
    labels,
    cutmix: {
      mask: channelsLast(t("mask")),
      partner: [1, 0],
      source: "unlabelled" as const,
    },
  };
  const lrs = toFloat32(t("lr"));
  const expectedLosses = toFloat32(t("losses"));
  const settings = {
    supLoss: "ce+dice",
    unsupLoss: "usl",
    t1: Number(file.metadata.t1),
    t2: Number(file.metadata.t2),
  } as const;
  for (let it = 0; it < lrs.length; it++) {
    const losses = await cotrainStep(a, b, batch, {
      config: settings,
      lr: lrs[it],
      unsupWeight: 1,
      rng: new Rng(1),
    });
    const expected = expectedLosses.subarray(3 * it, 3 * it + 3);
    const actual = [losses.total, losses.supervised, losses.unsupervised];
    actual.forEach((v, i) =>
      assert.ok(
        Math.abs(v - expected[i]) < 1e-5 * Math.abs(expected[i]),
        `iteration ${it}: ${actual} vs ${expected}`,
      )
    );
  }
  let worst = 0, where = "";
  for (const [prefix, m] of [["a1", a], ["b1", b]] as const) {
    for (const [name, variable] of m.network.namedState()) {
      const d = maxRelativeDifference(variable.dataSync(), toTfjs(name, t(`${prefix}/${name}`)));
      if (d > worst) [worst, where] = [d, `${prefix}/${name}`];
    }
  }
  assert.ok(worst < 5e-4, `largest relative difference ${worst} at ${where}`);
  for (const m of [a, b]) {
    m.network.dispose();
    m.optimizer.dispose();
  }
});
