/**
 * The SSL4MIS 3D U-Net (docs/METHOD.md 3.2; HiLab-git/SSL4MIS `code/networks/unet_3D.py`,
 * feature_scale 4): UnetConv3 = 2 × (conv 3³ → InstanceNorm (no affine) → ReLU), max-pool down,
 * trilinear ×2 up + concat, element-wise Dropout p 0.3 on the bottleneck and the last decoder
 * output; Kaiming-normal convs. 5,884,050 parameters at width 16. Text branch as docs/METHOD.md 3.3.
 */
import * as tf from "@tensorflow/tfjs";
import { NetworkBase } from "./base.ts";
import {
  Conv3d,
  instanceNorm,
  type ParameterStore,
  tidyStep,
  upsampleTrilinear2x,
} from "./layers.ts";
import type { ApplyOptions, NetworkConfig, SegmentationNetwork } from "./network.ts";

const ENCODER_NAMES = ["conv1", "conv2", "conv3", "conv4", "center"];

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
    for (const conv of this.#convs) {
      y = tidyStep(y, (t) => tf.relu(instanceNorm(conv.apply(t))), y === x);
    }
    return y;
  }
}

class Unet3d extends NetworkBase {
  readonly #encoder: UnetConv3[] = [];
  readonly #decoder: UnetConv3[] = [];
  readonly #final: Conv3d;

  constructor(config: NetworkConfig, seed: number, knowledge?: Float32Array) {
    super(config, seed, knowledge);
    const store = this.store;
    const width = (level: number): number => this.width(level);
    for (let level = 0; level < 5; level++) {
      const cin = level === 0 ? config.inChannels : width(level - 1);
      this.#encoder.push(new UnetConv3(store, ENCODER_NAMES[level], cin, width(level)));
      const pool = level === 0 ? "" : "max-pool 2 → ";
      this.describe(
        ENCODER_NAMES[level],
        `${pool}2× (conv 3³ → InstanceNorm → ReLU)`,
        level,
        width(level),
      );
    }
    if (config.dropout) this.describe("dropout1", "Dropout p 0.3 (training)", 4, width(4));
    this.addTextBranch("center");
    for (let level = 3; level >= 0; level--) {
      const name = `up_concat${level + 1}`;
      const cin = width(level) + width(level + 1);
      this.#decoder.push(new UnetConv3(store, `${name}.conv`, cin, width(level)));
      this.describe(
        name,
        `trilinear ×2, concat ${ENCODER_NAMES[level]} (${cin}) → UnetConv3`,
        level,
        width(level),
      );
    }
    if (config.dropout) this.describe("dropout2", "Dropout p 0.3 (training)", 0, width(0));
    this.#final = new Conv3d(store, "final", width(0), config.classes, 1, 1, "kaiming-normal");
    this.describe("final", "conv 1³ (logits)", 0, config.classes);
  }

  apply(x: tf.Tensor5D, options: ApplyOptions): tf.Tensor5D {
    this.checkInput(x);
    const skips: tf.Tensor5D[] = [];
    // Each step frees its input once used (tidyStep), except x (the caller's) and the skips.
    let y = x;
    for (let level = 0; level < 5; level++) {
      if (level > 0) y = tidyStep(y, (t) => tf.maxPool3d(t, 2, 2, "valid"), true);
      y = tidyStep(y, (t) => this.#encoder[level].apply(t), y === x);
      if (level < 4) skips.push(y);
    }
    y = tidyStep(y, (t) => this.addText(this.dropout(t, options, 0.3, false)));
    for (let step = 0; step < 4; step++) {
      const skip = skips[3 - step];
      // SSL4MIS concatenates [skip, upsampled] in that order.
      y = tidyStep(
        y,
        (t) => this.#decoder[step].apply(tf.concat([skip, upsampleTrilinear2x(t)], 4)),
      );
      skip.dispose();
    }
    return tidyStep(y, (t) => this.#final.apply(this.dropout(t, options, 0.3, false)));
  }
}

/** Builds the 3D U-Net with Kaiming-normal convs drawn from `seed` (docs/METHOD.md 2.5). */
export function createUnet3d(
  config: NetworkConfig,
  seed: number,
  knowledge?: Float32Array,
): SegmentationNetwork {
  return new Unet3d(config, seed, knowledge);
}
