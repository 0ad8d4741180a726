/** The model's input: a volume normalised exactly as the model's training data was. */
import { UserError } from "@llmseg/shared";
import { normalizeImage } from "../../shared/dataset/normalize.ts";
import type { Volume } from "../../shared/volume/volume.ts";
import type { ModelManifest } from "../checkpoint/model_manifest.ts";

/**
 * Applies `manifest.preprocessing.normalization` (the training run's own per-case normalisation,
 * METHOD.md 2.1: e.g. BraTS's non-zero z-score after a 99.9 % clip) to every channel of `volume`.
 *
 * @returns a float32 volume with the same shape [X, Y, Z], channels and geometry.
 * @throws UserError when the channel count is not the model's.
 */
export function preprocessForModel(volume: Volume, manifest: ModelManifest): Volume<Float32Array> {
  if (volume.channels !== manifest.network.inChannels) {
    throw new UserError(
      "invalid_volume",
      `${volume.source?.path ?? "input"}: ${volume.channels} channel(s), but the model takes ` +
        `${manifest.network.inChannels}`,
    );
  }
  return normalizeImage(volume, manifest.preprocessing.normalization);
}
