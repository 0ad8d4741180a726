/**
 * The SSL4MIS 3D U-Net (METHOD.md 3.2; HiLab-git/SSL4MIS `code/networks/unet_3D.py`,
 * feature_scale 4): UnetConv3 = 2 × (conv 3³ → InstanceNorm (no affine) → ReLU), max-pool down,
 * trilinear ×2 up + concat, element-wise Dropout p 0.3 on the bottleneck and the last decoder
 * output; Kaiming-normal convs. 5,884,050 parameters at width 16. Text branch as METHOD.md 3.3.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng, UserError } from "@llmseg/shared";
import { Conv3d, dropout, instanceNorm, ParameterStore, upsampleTrilinear2x } from "./layers.ts";
import { TextBranch } from "./text_branch.ts";
import type { ApplyOptions, LayerSummary, NetworkConfig, SegmentationNetwork } from "./network.ts";
import { checkInput, levelShape, summarizeLayers } from "./summary.ts";

/** SSL4MIS `UnetConv3` with `is_batchnorm` (which builds InstanceNorm3d). */
class UnetConv3 {
  readonly #convs: Conv3d[];

  constructor(store: ParameterStore, name: string, cin: number, cout: number) {
    this.#convs = [
      new Conv3d(store, `${name}.conv1.0`, cin, cout, 3, 1, "kaiming-normal"),
      new Conv3d(store, `${name}.conv2.0`, cout, cout, 3, 1, "kaiming-normal"),
    ];
  }

  apply(x: tf.Tensor5D): tf.Tensor5D {
    let y = x;
    for (const conv of this.#convs) y = tf.relu(instanceNorm(conv.apply(y)));
    return y;
  }
}

interface Row {
  name: string;
  op: string;
  level: number;
  channels: number;
}

class Unet3d implements SegmentationNetwork {
  readonly config: NetworkConfig;
  readonly knowledge?: Float32Array;
  readonly #store: ParameterStore;
  readonly #encoder: UnetConv3[] = [];
  readonly #decoder: UnetConv3[] = [];
  readonly #final: Conv3d;
  readonly #text?: TextBranch;
  readonly #rows: Row[] = [];

  constructor(config: NetworkConfig, seed: number, knowledge?: Float32Array) {
    this.config = config;
    this.#store = new ParameterStore(new Rng(seed));
    const store = this.#store;
    const width = (level: number): number => config.width * 2 ** level;
    const encoderNames = ["conv1", "conv2", "conv3", "conv4", "center"];
    for (let level = 0; level < 5; level++) {
      const cin = level === 0 ? config.inChannels : width(level - 1);
      this.#encoder.push(new UnetConv3(store, encoderNames[level], cin, width(level)));
      const pool = level === 0 ? "" : "max-pool 2 → ";
      this.#rows.push({
        name: encoderNames[level],
        op: `${pool}2× (conv 3³ → InstanceNorm → ReLU)`,
        level,
        channels: width(level),
      });
    }
    if (config.dropout) {
      this.#rows.push({
        name: "dropout1",
        op: "Dropout p 0.3 (training)",
        level: 4,
        channels: width(4),
      });
    }
    if (config.beta > 0) {
      if (knowledge === undefined || knowledge.length !== config.knowledgeDim) {
        throw new UserError(
          "bad_config",
          `beta ${config.beta} needs a knowledge vector of ${config.knowledgeDim} values, got ${
            knowledge?.length ?? "none"
          }`,
        );
      }
      this.knowledge = knowledge;
      this.#text = new TextBranch(store, knowledge, config.textHidden, width(4), config.beta);
      this.#rows.push({
        name: "text",
        op: `center + ${config.beta}·MLP(e) (${config.knowledgeDim} → ${config.textHidden} → ${
          width(4)
        })`,
        level: 4,
        channels: width(4),
      });
    }
    for (let level = 3; level >= 0; level--) {
      const name = `up_concat${level + 1}`;
      this.#decoder.push(
        new UnetConv3(store, `${name}.conv`, width(level) + width(level + 1), width(level)),
      );
      this.#rows.push({
        name,
        op: `trilinear ×2, concat ${encoderNames[level]} (${
          width(level) + width(level + 1)
        }) → UnetConv3`,
        level,
        channels: width(level),
      });
    }
    if (config.dropout) {
      this.#rows.push({
        name: "dropout2",
        op: "Dropout p 0.3 (training)",
        level: 0,
        channels: width(0),
      });
    }
    this.#final = new Conv3d(store, "final", width(0), config.classes, 1, 1, "kaiming-normal");
    this.#rows.push({ name: "final", op: "conv 1³ (logits)", level: 0, channels: config.classes });
  }

  get trainableVariables(): tf.Variable[] {
    return this.#store.trainable;
  }

  apply(x: tf.Tensor5D, options: ApplyOptions): tf.Tensor5D {
    checkInput(x, this.config, 16);
    const { training } = options;
    const drop = (t: tf.Tensor5D): tf.Tensor5D => {
      if (!training || !this.config.dropout) return t;
      if (options.rng === undefined) throw new Error("training with dropout needs options.rng");
      return dropout(t, 0.3, options.rng, false);
    };
    const skips: tf.Tensor5D[] = [];
    let y = x;
    for (let level = 0; level < 5; level++) {
      if (level > 0) y = tf.maxPool3d(y, 2, 2, "valid");
      y = this.#encoder[level].apply(y);
      if (level < 4) skips.push(y);
    }
    y = drop(y);
    if (this.#text !== undefined) y = this.#text.apply(y);
    for (let step = 0; step < 4; step++) {
      // SSL4MIS concatenates [skip, upsampled] in that order.
      y = this.#decoder[step].apply(tf.concat([skips[3 - step], upsampleTrilinear2x(y)], 4));
    }
    return this.#final.apply(drop(y));
  }

  namedState(): Map<string, tf.Variable> {
    return new Map(this.#store.variables);
  }

  summary(patch: [number, number, number]): LayerSummary[] {
    return summarizeLayers(
      this.#rows.map((row) => ({ ...row, shape: levelShape(patch, row.level, row.channels) })),
      this.#store.variables,
    );
  }

  parameterCount(): number {
    return this.#store.trainable.reduce((sum, v) => sum + v.size, 0);
  }

  dispose(): void {
    this.#text?.dispose();
    this.#store.dispose();
  }
}

/** Builds the 3D U-Net with Kaiming-normal convs drawn from `seed` (METHOD.md 2.5). */
export function createUnet3d(
  config: NetworkConfig,
  seed: number,
  knowledge?: Float32Array,
): SegmentationNetwork {
  return new Unet3d(config, seed, knowledge);
}
