/**
 * One optimisation step: the co-training iteration of docs/METHOD.md 5 (two networks, two optimisers)
 * or the supervised-only baseline (one network, labelled samples only).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "@llmseg/shared";
import type { SegmentationNetwork } from "../networks/mod.ts";
import { applyCutMix } from "../transforms/mod.ts";
import type { TrainConfig } from "./config.ts";
import { supervisedLoss, unsupervisedLoss } from "./objectives.ts";
import type { Sgd } from "./sgd.ts";
import type { TeacherPair } from "./ema_teacher.ts";
import { classMeans, type TargetAlignment } from "./target_alignment.ts";

/** A network with its own optimiser (SSL4MIS-CPS: one optimiser per network). */
export interface Member {
  network: SegmentationNetwork;
  optimizer: Sgd;
}

/** The tensors of one iteration. */
export interface StepBatch {
  /** Noised inputs x + η `[B, X, Y, Z, C]`, the labelled samples first. */
  inputs: tf.Tensor5D;
  /** Labels of the first L samples, int32 `[L, X, Y, Z]`. */
  labels: tf.Tensor4D;
  /**
   * CutMix of the unlabelled samples (co-training): mask `[U, X, Y, Z, 1]`, partner π, and whether
   * π indexes the unlabelled samples or the labelled ones.
   */
  cutmix?: { mask: tf.Tensor5D; partner: number[]; source: TrainConfig["cutmixPartner"] };
}

/** Scalar values of one step. */
export interface StepLosses {
  total: number;
  supervised: number;
  unsupervised: number;
}

export interface StepSettings {
  config: Pick<TrainConfig, "supLoss" | "unsupLoss" | "t1" | "t2">;
  lr: number;
  /** Weight of L_u (1 for the literal eq 1). */
  unsupWeight: number;
  /** Dropout masks come from here. */
  rng: Rng;
  /** Rescales the pseudo-label targets, and learns this batch's class fractions after the step. */
  alignment?: TargetAlignment;
  /** The networks' averages, whose probabilities become the partner's targets (mean teacher). */
  teachers?: TeacherPair;
}

/** Splits `[B, ...]` into the first `labeled` samples and the rest. */
function split<T extends tf.Tensor>(x: T, labeled: number): [T, T] {
  const rest = x.shape[0] - labeled;
  return tf.split(x, [labeled, rest], 0) as [T, T];
}

/**
 * The co-training iteration of docs/METHOD.md 5: A sees `inputs`; B sees the labelled part as-is and
 * the unlabelled part cut-mixed; L = L_s(A) + L_s(B) + w·L_u in the mixed space; one SGD step on
 * each network with its own optimiser. Where the partners are labelled samples, A's predictions on
 * them fill the boxes of A's mixed predictions, and their labels those of B's targets.
 */
export async function cotrainStep(
  a: Member,
  b: Member,
  batch: StepBatch,
  s: StepSettings,
): Promise<StepLosses> {
  if (!batch.cutmix) throw new Error("cotrainStep needs the CutMix of the unlabelled samples");
  const { mask, partner, source } = batch.cutmix;
  // Into B's geometry: its unlabelled inputs, and what A and A's teacher predict on the unmixed;
  // `labelled` is the labelled samples' counterpart, used where the partners are labelled.
  const mix = (unlabelled: tf.Tensor, labelled: () => tf.Tensor): tf.Tensor =>
    applyCutMix(unlabelled, mask, partner, source === "labelled" ? labelled() : unlabelled);
  const labeled = batch.labels.shape[0];
  const [xLabeled, xUnlabeled] = split(batch.inputs, labeled);
  const xUnlabeledMixed = mix(xUnlabeled, () => xLabeled) as tf.Tensor5D;
  const classes = a.network.config.classes;
  const labelsOneHot = () =>
    tf.oneHot(batch.labels.flatten(), classes).toFloat().reshape([...batch.labels.shape, classes]);
  // Outside the tape: the targets carry no gradient.
  const teachers = s.teachers;
  const teacherTargets = teachers && tf.tidy(() => ({
    a: mix(teachers.a.predict(xUnlabeled), labelsOneHot),
    b: teachers.b.predict(xUnlabeledMixed),
  }));
  const parts: tf.Scalar[] = [];
  const fractions: tf.Tensor1D[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const xB = tf.concat([xLabeled, xUnlabeledMixed], 0) as tf.Tensor5D;
    const [logALabeled, logAUnlabeled] = split(
      a.network.apply(batch.inputs, { training: true, rng: s.rng }),
      labeled,
    );
    const [logBLabeled, logBUnlabeled] = split(
      b.network.apply(xB, { training: true, rng: s.rng }),
      labeled,
    );
    const ls: tf.Scalar = tf.add(
      supervisedLoss(logALabeled, batch.labels, s.config.supLoss),
      supervisedLoss(logBLabeled, batch.labels, s.config.supLoss),
    );
    const probAUnlabeled = tf.softmax(logAUnlabeled);
    const pA = mix(probAUnlabeled, () => tf.softmax(logALabeled));
    const pB = tf.softmax(logBUnlabeled);
    const targets = teacherTargets ??
      { a: source === "labelled" ? mix(probAUnlabeled, labelsOneHot) : pA, b: pB };
    const lu = unsupervisedLoss({ a: pA, b: pB }, targets, s.config, s.alignment);
    parts.push(tf.keep(ls), tf.keep(lu));
    if (s.alignment) {
      fractions.push(
        ...[labelsOneHot(), targets.a, targets.b].map((x) => tf.keep(classMeans(x))),
      );
    }
    return tf.add(ls, tf.mul(lu, s.unsupWeight));
  }, [...a.network.trainableVariables, ...b.network.trainableVariables]);
  tf.dispose([xLabeled, xUnlabeled, xUnlabeledMixed, teacherTargets]);
  a.optimizer.step(grads, s.lr);
  b.optimizer.step(grads, s.lr);
  // One wait for both reads (a device round trip each under WebGPU).
  const [losses] = await Promise.all([
    collect(value, grads, parts),
    s.alignment && observe(s.alignment, fractions),
  ]);
  return losses;
}

/**
 * Folds the batch's class fractions (labelled, A's, B's) into the alignment's averages, after the
 * step: this batch's targets were aligned with the averages of the batches before it.
 */
async function observe(alignment: TargetAlignment, fractions: tf.Tensor1D[]): Promise<void> {
  const [prior, marginalA, marginalB] = await Promise.all(
    fractions.map(async (t) => [...await t.data()]),
  );
  tf.dispose(fractions);
  alignment.observe({ prior, marginals: { a: marginalA, b: marginalB } });
}

/** The supervised-only baseline: one network, L_s on the labelled batch, one SGD step. */
export async function supervisedStep(
  a: Member,
  batch: StepBatch,
  s: StepSettings,
): Promise<StepLosses> {
  const { value, grads } = tf.variableGrads(
    () =>
      supervisedLoss(
        a.network.apply(batch.inputs, { training: true, rng: s.rng }),
        batch.labels,
        s.config.supLoss,
      ),
    a.network.trainableVariables,
  );
  a.optimizer.step(grads, s.lr);
  tf.dispose(grads);
  const total = (await value.data())[0];
  value.dispose();
  return { total, supervised: total, unsupervised: 0 };
}

/**
 * The three losses, read asynchronously (issue #13: `dataSync` fails under WebGPU); the gradients
 * are freed first, so their memory is not held while the read waits.
 */
async function collect(
  value: tf.Scalar,
  grads: tf.NamedTensorMap,
  [ls, lu]: tf.Scalar[],
): Promise<StepLosses> {
  tf.dispose(grads);
  const [total, supervised, unsupervised] = await Promise.all(
    [value, ls, lu].map(async (t) => (await t.data())[0]),
  );
  tf.dispose([value, ls, lu]);
  return { total, supervised, unsupervised };
}
