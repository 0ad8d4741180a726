/**
 * One preset's training workload on random data, for the real-size engine test and the training
 * benchmark: members built as `llmseg train` builds them, and a batch of the preset's patch size
 * (inputs normal noise, a labelled box in the middle of each labelled patch).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "@llmseg/shared";
import { createNetwork, NetworkConfigSchema } from "../../networks/network.ts";
import { cutMixMask, drawCutMix } from "../../transforms/mod.ts";
import type { TrainConfig } from "../config.ts";
import { Sgd } from "../sgd.ts";
import type { Member, StepBatch } from "../step.ts";

/** A network of the preset's architecture with its SGD, seeded. */
export function presetMember(config: TrainConfig, seed: number, knowledge: Float32Array): Member {
  const network = createNetwork(
    NetworkConfigSchema.parse({
      arch: config.arch,
      width: config.nFilters,
      dropout: config.dropout,
      beta: config.beta,
    }),
    seed,
    knowledge,
  );
  const trainable = new Map([...network.namedState()].filter(([, v]) => v.trainable));
  const optimizer = new Sgd(trainable, {
    momentum: config.momentum,
    weightDecay: config.weightDecay,
  });
  return { network, optimizer };
}

/** A co-training batch: 2 labelled + 2 unlabelled patches, with the CutMix of the unlabelled. */
export function cotrainBatch(config: TrainConfig, rng: Rng): StepBatch {
  const [X, Y, Z] = config.patch;
  const voxels = X * Y * Z;
  const inputs = tf.tensor5d(
    Float32Array.from({ length: 4 * voxels }, () => rng.normal()),
    [4, X, Y, Z, 1],
  );
  const label = new Int32Array(2 * voxels).map((_, i) => {
    const [x, y, z] = [Math.floor(i / (Y * Z)) % X, Math.floor(i / Z) % Y, i % Z];
    const inside = (v: number, side: number) => v >= side / 4 && v < (3 * side) / 4;
    return inside(x, X) && inside(y, Y) && inside(z, Z) ? 1 : 0;
  });
  const labels = tf.tensor4d(label, [2, X, Y, Z], "int32");
  const boxes = drawCutMix(2, config.patch, rng);
  return {
    inputs,
    labels,
    cutmix: {
      mask: cutMixMask(boxes, config.patch),
      partner: boxes.partner,
      source: config.cutmixPartner,
    },
  };
}
