/**
 * The lineage V-Net (METHOD.md 3.1; yulequan/UA-MT `code/networks/vnet.py`, batchnorm, additive
 * skips, Dropout3d p 0.5 on x5 and x9) with the LLM text branch at the bottleneck (METHOD.md 3.3).
 * 9,448,866 parameters at width 16, 1 input channel, 2 classes, no text branch.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng, UserError } from "@llmseg/shared";
import { BatchNorm3d, Conv3d, dropout, ParameterStore, UpConv3d } from "./layers.ts";
import { TextBranch } from "./text_branch.ts";
import type { ApplyOptions, LayerSummary, NetworkConfig, SegmentationNetwork } from "./network.ts";
import { checkInput, levelShape, summarizeLayers } from "./summary.ts";

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
    for (const [conv, bn] of this.#stages) y = tf.relu(bn.apply(conv.apply(y), training));
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
    return tf.relu(this.#bn.apply(this.#conv.apply(x), training));
  }
}

/** Layer rows for the summary: name, op, level (spatial size = patch / 2^level), channels. */
interface Row {
  name: string;
  op: string;
  level: number;
  channels: number;
}

class VNet implements SegmentationNetwork {
  readonly config: NetworkConfig;
  readonly knowledge?: Float32Array;
  readonly #store: ParameterStore;
  readonly #encoder: ConvBlock[] = [];
  readonly #down: ResampleBlock[] = [];
  readonly #up: ResampleBlock[] = [];
  readonly #decoder: ConvBlock[] = [];
  readonly #outConv: Conv3d;
  readonly #text?: TextBranch;
  readonly #rows: Row[] = [];

  constructor(config: NetworkConfig, seed: number, knowledge?: Float32Array) {
    this.config = config;
    this.#store = new ParameterStore(new Rng(seed));
    const store = this.#store;
    const width = (level: number): number => config.width * 2 ** level;
    for (let level = 0; level < 5; level++) {
      const name = `block_${ORDINALS[level]}`;
      const stages = ENCODER_STAGES[level];
      const cin = level === 0 ? config.inChannels : width(level);
      this.#encoder.push(new ConvBlock(store, name, stages, cin, width(level)));
      this.#rows.push({
        name,
        op: `${stages}× (conv 3³ → BN → ReLU)`,
        level,
        channels: width(level),
      });
      if (level === 4) break;
      this.#down.push(
        new ResampleBlock(store, `${name}_dw`, "down", width(level), width(level + 1)),
      );
      this.#rows.push({
        name: `${name}_dw`,
        op: "conv 2³ stride 2 → BN → ReLU",
        level: level + 1,
        channels: width(level + 1),
      });
    }
    if (config.dropout) {
      this.#rows.push({
        name: "dropout",
        op: "Dropout3d p 0.5 (training)",
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
        op: `x5 + ${config.beta}·MLP(e) (${config.knowledgeDim} → ${config.textHidden} → ${
          width(4)
        })`,
        level: 4,
        channels: width(4),
      });
    }
    for (let step = 0; step < 4; step++) {
      const upName = `block_${ORDINALS[4 + step]}_up`;
      const convName = `block_${ORDINALS[5 + step]}`;
      const level = 3 - step;
      this.#up.push(new ResampleBlock(store, upName, "up", width(level + 1), width(level)));
      this.#rows.push({
        name: upName,
        op: `deconv 2³ stride 2 → BN → ReLU, + x${level + 1}`,
        level,
        channels: width(level),
      });
      const stages = DECODER_STAGES[step];
      this.#decoder.push(new ConvBlock(store, convName, stages, width(level), width(level)));
      this.#rows.push({
        name: convName,
        op: `${stages}× (conv 3³ → BN → ReLU)`,
        level,
        channels: width(level),
      });
    }
    if (config.dropout) {
      this.#rows.push({
        name: "dropout",
        op: "Dropout3d p 0.5 (training)",
        level: 0,
        channels: width(0),
      });
    }
    this.#outConv = new Conv3d(store, "out_conv", width(0), config.classes, 1);
    this.#rows.push({
      name: "out_conv",
      op: "conv 1³ (logits)",
      level: 0,
      channels: config.classes,
    });
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
      return dropout(t, 0.5, options.rng, true);
    };
    const skips: tf.Tensor5D[] = [];
    let y = x;
    for (let level = 0; level < 5; level++) {
      y = this.#encoder[level].apply(y, training);
      if (level < 4) {
        skips.push(y);
        y = this.#down[level].apply(y, training);
      }
    }
    y = drop(y);
    if (this.#text !== undefined) y = this.#text.apply(y);
    for (let step = 0; step < 4; step++) {
      y = tf.add(this.#up[step].apply(y, training), skips[3 - step]);
      y = this.#decoder[step].apply(y, training);
    }
    return this.#outConv.apply(drop(y));
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

/** Builds a V-Net with PyTorch-default initialisation drawn from `seed` (METHOD.md 2.5). */
export function createVNet(
  config: NetworkConfig,
  seed: number,
  knowledge?: Float32Array,
): SegmentationNetwork {
  return new VNet(config, seed, knowledge);
}
