/**
 * The lineage V-Net (docs/METHOD.md 3.1; yulequan/UA-MT `code/networks/vnet.py`, batchnorm, additive
 * skips, Dropout3d p 0.5 on x5 and x9) with the LLM text branch at the bottleneck (docs/METHOD.md 3.3).
 * 9,448,866 parameters at width 16, 1 input channel, 2 classes, no text branch.
 */
import * as tf from "@tensorflow/tfjs";
import { NetworkBase } from "./base.ts";
import { BatchNorm3d, Conv3d, type ParameterStore, tidyStep, UpConv3d } from "./layers.ts";
import type { ApplyOptions, NetworkConfig, SegmentationNetwork } from "./network.ts";

const ORDINALS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
/** Conv stages of block_one..block_five (encoder) and block_six..block_nine (decoder). */
const ENCODER_STAGES = [1, 2, 3, 3, 3];
const DECODER_STAGES = [3, 3, 2, 1];

/** Conv3d 3³ pad 1 → BatchNorm3d → ReLU, repeated (UA-MT `ConvBlock`, Sequential indices 3i, 3i+1). */
class ConvBlock {
  readonly #stages: Array<[Conv3d, BatchNorm3d]> = [];

  constructor(store: ParameterStore, name: string, stages: number, cin: number, cout: number) {
    for (let i = 0; i < stages; i++) {
      this.#stages.push([
        new Conv3d(store, `${name}.conv.${3 * i}`, i === 0 ? cin : cout, cout, 3),
        new BatchNorm3d(store, `${name}.conv.${3 * i + 1}`, cout),
      ]);
    }
  }

  apply(x: tf.Tensor5D, training: boolean): tf.Tensor5D {
    let y = x;
    for (const [conv, bn] of this.#stages) {
      const bias = conv.bias as tf.Tensor1D;
      y = tidyStep(y, (t) => bn.apply(conv.apply(t, false), training, true, bias), y === x);
    }
    return y;
  }
}

/** Conv3d k2 s2 or ConvTranspose3d k2 s2 → BN → ReLU (UA-MT `Downsampling`/`UpsamplingDeconvBlock`). */
class ResampleBlock {
  readonly #conv: Conv3d | UpConv3d;
  readonly #bn: BatchNorm3d;

  constructor(
    store: ParameterStore,
    name: string,
    direction: "down" | "up",
    cin: number,
    cout: number,
  ) {
    this.#conv = direction === "down"
      ? new Conv3d(store, `${name}.conv.0`, cin, cout, 2, 2)
      : new UpConv3d(store, `${name}.conv.0`, cin, cout);
    this.#bn = new BatchNorm3d(store, `${name}.conv.1`, cout);
  }

  apply(x: tf.Tensor5D, training: boolean): tf.Tensor5D {
    return this.#bn.apply(
      this.#conv.apply(x, false),
      training,
      true,
      this.#conv.bias as tf.Tensor1D,
    );
  }
}

class VNet extends NetworkBase {
  readonly #encoder: ConvBlock[] = [];
  readonly #down: ResampleBlock[] = [];
  readonly #up: ResampleBlock[] = [];
  readonly #decoder: ConvBlock[] = [];
  readonly #outConv: Conv3d;

  constructor(config: NetworkConfig, seed: number, knowledge?: Float32Array) {
    super(config, seed, knowledge);
    const store = this.store;
    const width = (level: number): number => this.width(level);
    for (let level = 0; level < 5; level++) {
      const name = `block_${ORDINALS[level]}`;
      const stages = ENCODER_STAGES[level];
      const cin = level === 0 ? config.inChannels : width(level);
      this.#encoder.push(new ConvBlock(store, name, stages, cin, width(level)));
      this.describe(name, `${stages}× (conv 3³ → BN → ReLU)`, level, width(level));
      if (level === 4) break;
      this.#down.push(
        new ResampleBlock(store, `${name}_dw`, "down", width(level), width(level + 1)),
      );
      this.describe(`${name}_dw`, "conv 2³ stride 2 → BN → ReLU", level + 1, width(level + 1));
    }
    if (config.dropout) this.describe("dropout", "Dropout3d p 0.5 (training)", 4, width(4));
    this.addTextBranch("x5");
    for (let step = 0; step < 4; step++) {
      const upName = `block_${ORDINALS[4 + step]}_up`;
      const convName = `block_${ORDINALS[5 + step]}`;
      const level = 3 - step;
      this.#up.push(new ResampleBlock(store, upName, "up", width(level + 1), width(level)));
      this.describe(upName, `deconv 2³ stride 2 → BN → ReLU, + x${level + 1}`, level, width(level));
      const stages = DECODER_STAGES[step];
      this.#decoder.push(new ConvBlock(store, convName, stages, width(level), width(level)));
      this.describe(convName, `${stages}× (conv 3³ → BN → ReLU)`, level, width(level));
    }
    if (config.dropout) this.describe("dropout", "Dropout3d p 0.5 (training)", 0, width(0));
    this.#outConv = new Conv3d(store, "out_conv", width(0), config.classes, 1);
    this.describe("out_conv", "conv 1³ (logits)", 0, config.classes);
  }

  apply(x: tf.Tensor5D, options: ApplyOptions): tf.Tensor5D {
    this.checkInput(x);
    const { training } = options;
    const skips: tf.Tensor5D[] = [];
    // Each step frees its input once used (tidyStep), except x (the caller's) and the skips.
    let y = x;
    for (let level = 0; level < 5; level++) {
      y = tidyStep(y, (t) => this.#encoder[level].apply(t, training), y === x);
      if (level < 4) {
        skips.push(y);
        y = tidyStep(y, (t) => this.#down[level].apply(t, training), true);
      }
    }
    // x5 ← dropout(x5) + β·z: z is added after the encoder's dropout (docs/METHOD.md 3.1).
    y = tidyStep(y, (t) => this.addText(this.dropout(t, options, 0.5, true)));
    for (let step = 0; step < 4; step++) {
      const skip = skips[3 - step];
      y = tidyStep(y, (t) => tf.add(this.#up[step].apply(t, training), skip));
      skip.dispose();
      y = tidyStep(y, (t) => this.#decoder[step].apply(t, training));
    }
    return tidyStep(y, (t) => this.#outConv.apply(this.dropout(t, options, 0.5, true)));
  }
}

/** Builds a V-Net with PyTorch-default initialisation drawn from `seed` (docs/METHOD.md 2.5). */
export function createVNet(
  config: NetworkConfig,
  seed: number,
  knowledge?: Float32Array,
): SegmentationNetwork {
  return new VNet(config, seed, knowledge);
}
