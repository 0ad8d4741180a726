/** Shape bookkeeping shared by the networks: input checks and the model-summary table. */
import type * as tf from "@tensorflow/tfjs";
import { UserError } from "@llmseg/shared";
import type { LayerSummary, NetworkConfig } from "./network.ts";

/**
 * Refuses an input the network cannot take: wrong rank, channel count, or a spatial size not
 * divisible by `multiple` (four 2× down-samplings need 16, METHOD.md 3.1).
 */
export function checkInput(x: tf.Tensor, config: NetworkConfig, multiple: number): void {
  if (x.rank !== 5) {
    throw new UserError(
      "bad_input",
      `network input must be [N, X, Y, Z, C], got shape [${x.shape}]`,
    );
  }
  if (x.shape[4] !== config.inChannels) {
    throw new UserError(
      "bad_input",
      `the ${config.arch} expects ${config.inChannels} input channel(s), got ${x.shape[4]}`,
    );
  }
  const spatial = x.shape.slice(1, 4);
  if (spatial.some((s) => s % multiple !== 0)) {
    throw new UserError(
      "bad_input",
      `patch ${
        spatial.join("x")
      } is not divisible by ${multiple} along every axis (${config.arch})`,
    );
  }
}

/** `[X, Y, Z, C]` at a down-sampling level (spatial size / 2^level). */
export function levelShape(
  patch: [number, number, number],
  level: number,
  channels: number,
): [number, number, number, number] {
  const f = 2 ** level;
  return [patch[0] / f, patch[1] / f, patch[2] / f, channels];
}

/** Rows with shapes → summary rows, counting each module's trainable variables by name prefix. */
export function summarizeLayers(
  rows: Array<{ name: string; op: string; shape: [number, number, number, number] }>,
  variables: Map<string, tf.Variable>,
): LayerSummary[] {
  return rows.map(({ name, op, shape }) => {
    let parameters = 0;
    for (const [key, variable] of variables) {
      if (variable.trainable && key.startsWith(`${name}.`)) parameters += variable.size;
    }
    return { name, op, outputShape: shape, parameters };
  });
}
