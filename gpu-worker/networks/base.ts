/**
 * What the V-Net and the 3D U-Net share: the parameter store, the optional text branch at the
 * bottleneck (docs/METHOD.md 3.3), seeded dropout, input checks and the model-summary table.
 */
import type * as tf from "@tensorflow/tfjs";
import { Rng, UserError } from "@llmseg/shared";
import { dropout, ParameterStore } from "./layers.ts";
import type { ApplyOptions, LayerSummary, NetworkConfig, SegmentationNetwork } from "./network.ts";
import { TextBranch } from "./text_branch.ts";

/** One summary row: spatial size = patch / 2^level. */
interface Row {
  name: string;
  op: string;
  level: number;
  channels: number;
}

/** Four stride-2 levels: every patch side must be divisible by 2^4. */
const PATCH_MULTIPLE = 16;

export abstract class NetworkBase implements SegmentationNetwork {
  readonly config: NetworkConfig;
  readonly knowledge?: Float32Array;
  protected readonly store: ParameterStore;
  readonly #rows: Row[] = [];
  #text?: TextBranch;

  /** `knowledge` (e, `knowledgeDim` values) is required exactly when `config.beta > 0`. */
  constructor(config: NetworkConfig, seed: number, knowledge: Float32Array | undefined) {
    const { beta, knowledgeDim } = config;
    if (beta > 0 && knowledge?.length !== knowledgeDim) {
      throw new UserError(
        "bad_config",
        `beta ${beta} needs a knowledge vector of ${knowledgeDim} values, got ${
          knowledge?.length ?? "none"
        }`,
      );
    }
    this.config = config;
    this.knowledge = beta > 0 ? knowledge : undefined;
    this.store = new ParameterStore(new Rng(seed));
  }

  /** x `[N, X, Y, Z, inChannels]` → logits `[N, X, Y, Z, classes]`. */
  abstract apply(x: tf.Tensor5D, options: ApplyOptions): tf.Tensor5D;

  /** Channels at a level: width·2^level. */
  protected width(level: number): number {
    return this.config.width * 2 ** level;
  }

  /** Records a summary row (call in forward order). */
  protected describe(name: string, op: string, level: number, channels: number): void {
    this.#rows.push({ name, op, level, channels });
  }

  /**
   * Creates the text branch when `config.beta > 0`, at the point of construction where its
   * parameters are drawn from the seed stream; `bottleneck` names the feature in the summary.
   */
  protected addTextBranch(bottleneck: string): void {
    const { beta, knowledgeDim, textHidden } = this.config;
    if (this.knowledge === undefined) return;
    const channels = this.width(4);
    this.#text = new TextBranch(this.store, this.knowledge, textHidden, channels, beta);
    const op = `${bottleneck} + ${beta}·MLP(e) (${knowledgeDim} → ${textHidden} → ${channels})`;
    this.describe("text", op, 4, channels);
  }

  /** Bottleneck + β·z when the text branch exists (docs/METHOD.md 3.3, eq 7). */
  protected addText(bottleneck: tf.Tensor5D): tf.Tensor5D {
    return this.#text === undefined ? bottleneck : this.#text.apply(bottleneck);
  }

  /** Training-mode dropout when `config.dropout` (masks from `options.rng`), else identity. */
  protected dropout(
    x: tf.Tensor5D,
    options: ApplyOptions,
    p: number,
    channelwise: boolean,
  ): tf.Tensor5D {
    if (!options.training || !this.config.dropout) return x;
    if (options.rng === undefined) throw new Error("training with dropout needs options.rng");
    return dropout(x, p, options.rng, channelwise);
  }

  /** Refuses a wrong rank, channel count, or a patch not divisible by 16. */
  protected checkInput(x: tf.Tensor): void {
    const { arch, inChannels } = this.config;
    if (x.rank !== 5) {
      throw new UserError(
        "bad_input",
        `network input must be [N, X, Y, Z, C], got shape [${x.shape}]`,
      );
    }
    if (x.shape[4] !== inChannels) {
      throw new UserError(
        "bad_input",
        `the ${arch} expects ${inChannels} input channel(s), got ${x.shape[4]}`,
      );
    }
    const spatial = x.shape.slice(1, 4);
    if (spatial.some((s) => s % PATCH_MULTIPLE !== 0)) {
      throw new UserError(
        "bad_input",
        `patch ${
          spatial.join("x")
        } is not divisible by ${PATCH_MULTIPLE} along every axis (${arch})`,
      );
    }
  }

  get trainableVariables(): tf.Variable[] {
    return this.store.trainable;
  }

  namedState(): Map<string, tf.Variable> {
    return new Map(this.store.variables);
  }

  summary(patch: [number, number, number]): LayerSummary[] {
    return this.#rows.map(({ name, op, level, channels }) => {
      let parameters = 0;
      for (const [key, variable] of this.store.variables) {
        if (variable.trainable && key.startsWith(`${name}.`)) parameters += variable.size;
      }
      const f = 2 ** level;
      return {
        name,
        op,
        outputShape: [patch[0] / f, patch[1] / f, patch[2] / f, channels],
        parameters,
      };
    });
  }

  parameterCount(): number {
    return this.store.trainable.reduce((sum, v) => sum + v.size, 0);
  }

  dispose(): void {
    this.#text?.dispose();
    this.store.dispose();
  }
}
