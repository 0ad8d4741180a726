/**
 * Draws one iteration's batch (docs/METHOD.md 2.2, 4, 5): sampler indices, per-sample augmentation and
 * crop, input noise, CutMix boxes. Every random draw comes from one seeded generator, in this
 * order, so a resumed run draws the same batches.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "@llmseg/shared";
import {
  cutMixMask,
  drawCutMix,
  identityMap,
  materialize,
  randomCropMap,
  randomFlipMap,
  randomRotFlipMap,
  type Sample,
  type TwoStreamSampler,
  uniformNoise,
  withLabelledPartners,
} from "../transforms/mod.ts";
import type { TrainConfig } from "./config.ts";
import type { StepBatch } from "./step.ts";

/**
 * Augments then crops one case: the lineage's `Compose([RandomRotFlip(), RandomCrop(patch)])`,
 * with the same draws, composed into one map so only the patch's voxels are moved.
 */
function augmentAndCrop(
  sample: Sample,
  config: Pick<TrainConfig, "augment" | "patch">,
  rng: Rng,
): Sample {
  const start = identityMap(sample.shape);
  const augmented = config.augment === "rot-flip"
    ? randomRotFlipMap(start, rng)
    : config.augment === "flip"
    ? randomFlipMap(start, rng)
    : start;
  return materialize(sample, randomCropMap(augmented, config.patch, rng));
}

/**
 * The next batch as tensors (the caller disposes them with {@link disposeBatch}). In co-training
 * the inputs carry the noise η of eq 2 and the unlabelled part gets CutMix boxes; the
 * supervised-only baseline uses clean labelled samples only.
 */
export function drawBatch(
  labeled: Sample[],
  unlabeled: Sample[],
  sampler: TwoStreamSampler,
  config: TrainConfig,
  rng: Rng,
): StepBatch {
  const indices = sampler.next(rng);
  const samples = [
    ...indices.labeled.map((i) => augmentAndCrop(labeled[i], config, rng)),
    ...indices.unlabeled.map((i) => augmentAndCrop(unlabeled[i], config, rng)),
  ];
  const voxels = config.patch[0] * config.patch[1] * config.patch[2];
  const inputs = new Float32Array(samples.length * voxels * config.inChannels);
  samples.forEach((s, n) => inputs.set(s.image, n * s.image.length));
  const cotrain = config.mode === "cotrain";
  if (cotrain && config.noise > 0) {
    const noise = uniformNoise(inputs.length, config.noise, rng);
    for (let i = 0; i < inputs.length; i++) inputs[i] += noise[i];
  }
  const labels = new Int32Array(indices.labeled.length * voxels);
  samples.slice(0, indices.labeled.length).forEach((s, n) => labels.set(s.label!, n * voxels));
  const drawn = cotrain ? drawCutMix(indices.unlabeled.length, config.patch, rng) : undefined;
  const source = config.cutmixPartner;
  const boxes = drawn && source === "labelled"
    ? withLabelledPartners(drawn, indices.labeled.length)
    : drawn;
  return {
    inputs: tf.tensor5d(inputs, [samples.length, ...config.patch, config.inChannels]),
    labels: tf.tensor4d(labels, [indices.labeled.length, ...config.patch], "int32"),
    cutmix: boxes && { mask: cutMixMask(boxes, config.patch), partner: boxes.partner, source },
  };
}

export function disposeBatch(batch: StepBatch): void {
  tf.dispose([batch.inputs, batch.labels, ...(batch.cutmix ? [batch.cutmix.mask] : [])]);
}
