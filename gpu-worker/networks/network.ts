/**
 * The segmentation-network seam: one config schema, one interface, one factory for the V-Net
 * (docs/METHOD.md 3.1) and the SSL4MIS 3D U-Net (docs/METHOD.md 3.2), both with the optional LLM text branch
 * (docs/METHOD.md 3.3).
 *
 * Tensor layout is tfjs's native NDHWC: `[N, X, Y, Z, C]`, X = volume axis i (PyTorch's D axis).
 */
import type * as tf from "@tensorflow/tfjs";
import type { Rng } from "@llmseg/shared";
import type { NetworkConfig } from "./config.ts";
import { createUnet3d } from "./unet3d.ts";
import { createVNet } from "./vnet.ts";

export { type NetworkConfig, type NetworkConfigInput, NetworkConfigSchema } from "./config.ts";

/** Options of one forward pass. */
export interface ApplyOptions {
  /**
   * Training mode: batch-statistics BN (and the running-statistics update, momentum 0.1, unbiased
   * running variance as PyTorch), dropout on when `config.dropout`. Eval mode: running statistics,
   * no dropout.
   */
  training: boolean;
  /** Source of the dropout masks (seeded, saved in checkpoints); required when dropout is active. */
  rng?: Rng;
}

/** One row of `llmseg model-summary`. */
export interface LayerSummary {
  /** PyTorch-style module name, e.g. `block_five_up`. */
  name: string;
  /** Human description of the operation. */
  op: string;
  /** Output shape `[X, Y, Z, C]` for one sample. */
  outputShape: [number, number, number, number];
  /** Trainable parameters of this layer. */
  parameters: number;
}

/** A V-Net or 3D U-Net with its variables. */
export interface SegmentationNetwork {
  readonly config: NetworkConfig;
  /**
   * x: `[N, X, Y, Z, inChannels]`, X, Y, Z divisible by 16 → logits `[N, X, Y, Z, classes]`.
   * Throws a UserError for a wrong channel count or indivisible patch.
   */
  apply(x: tf.Tensor5D, options: ApplyOptions): tf.Tensor5D;
  /** Every trainable variable, the text MLP included (for one optimiser per network). */
  readonly trainableVariables: tf.Variable[];
  /**
   * Every parameter and BN running statistic under its PyTorch state-dict name (UA-MT
   * `networks/vnet.py`, SSL4MIS `unet_3D.py`; text MLP under `text.*`). Values are in tfjs layout:
   * conv `[kx, ky, kz, Cin, Cout]`, up-conv `[2, 2, 2, Cout, Cin]`, linear `[in, out]`.
   */
  namedState(): Map<string, tf.Variable>;
  /** The knowledge vector e `[knowledgeDim]` the text branch reads, when beta > 0. */
  readonly knowledge?: Float32Array;
  /** Layer table for a patch `[X, Y, Z]` (computed, no forward pass). */
  summary(patch: [number, number, number]): LayerSummary[];
  /** Number of trainable parameters. */
  parameterCount(): number;
  dispose(): void;
}

/**
 * Builds the network `config.arch` names, initialised from `seed` (A and B get different seeds).
 * `knowledge` (e, `[knowledgeDim]`) is required when `config.beta > 0`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { createNetwork, NetworkConfigSchema } from "./network.ts";
 *
 * const net = createNetwork(NetworkConfigSchema.parse({ arch: "vnet", width: 4 }), 1337);
 * const x = tf.zeros([1, 16, 16, 16, 1]) as tf.Tensor5D;
 * const logits = net.apply(x, { training: false }); // [1, 16, 16, 16, 2]
 * net.dispose();
 * ```
 */
export function createNetwork(
  config: NetworkConfig,
  seed: number,
  knowledge?: Float32Array,
): SegmentationNetwork {
  return config.arch === "vnet"
    ? createVNet(config, seed, knowledge)
    : createUnet3d(config, seed, knowledge);
}
