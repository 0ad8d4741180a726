/** Whole-volume inference from a model folder (METHOD.md 6), for the CLI and the worker alike. */
import type { Volume } from "../../shared/volume/volume.ts";
import { loadModelFolder } from "../checkpoint/model_folder.ts";
import { sampleFromVolumes, toVolumeLayout } from "../transforms/mod.ts";
import type { InferOptions, InferResult } from "./options.ts";
import { preprocessForModel } from "./preprocess.ts";
import { segment } from "./segment.ts";

/**
 * Segments `volume` with the model in `modelDir`: the training run's intensity normalisation
 * ({@link preprocessForModel}), the model's knowledge vector (loaded with the weights), sliding
 * window (default: the model's training patch and stride), network A unless told otherwise.
 * Outputs share the input's shape, spacing, affine and source.
 *
 * @throws UserError for a channel count the model does not take, a bad patch or stride, or a
 *   single-network model asked for B, the average or the uncertainty map.
 */
export async function inferVolume(
  modelDir: string,
  volume: Volume,
  options: InferOptions = {},
): Promise<InferResult> {
  const model = await loadModelFolder(modelDir);
  try {
    const { manifest } = model;
    const input = sampleFromVolumes(preprocessForModel(volume, manifest));
    const result = await segment(input, model.networks.get("a")!, model.networks.get("b"), {
      patch: options.patch ?? manifest.patch,
      stride: options.stride ?? manifest.stride,
      network: options.network ?? "a",
      largestComponent: options.largestComponent ?? false,
      uncertainty: options.uncertainty ?? false,
    });
    const like = <T extends Uint8Array | Float32Array>(values: T, empty: T): Volume<T> => {
      toVolumeLayout(values, volume.shape, 1, empty);
      return { ...volume, channels: 1, data: empty };
    };
    const n = volume.shape[0] * volume.shape[1] * volume.shape[2];
    return {
      mask: like(result.labels, new Uint8Array(n)),
      probabilities: options.probabilities
        ? like(result.foreground, new Float32Array(n))
        : undefined,
      uncertainty: result.uncertainty ? like(result.uncertainty, new Float32Array(n)) : undefined,
    };
  } finally {
    model.dispose();
  }
}
