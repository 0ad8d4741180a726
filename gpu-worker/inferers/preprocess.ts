/** The model's input: a volume normalised exactly as the model's training data was. */
import { UserError } from "@llmseg/shared";
import { normalizeImage } from "../../shared/dataset/normalize.ts";
import type { Volume } from "../../shared/volume/volume.ts";
import type { ModelManifest } from "../checkpoint/model_manifest.ts";

/**
 * Applies `manifest.preprocessing.normalization` (the training run's own per-case normalisation,
 * docs/METHOD.md 2.1: e.g. BraTS's non-zero z-score after a 99.9 % clip) to every channel of `volume`.
 *
 * @returns a float32 volume with the same shape [X, Y, Z], channels and geometry.
 * @throws UserError when the channel count is not the model's.
 */
export function preprocessForModel(volume: Volume, manifest: ModelManifest): Volume<Float32Array> {
  const channels = manifest.network.inChannels;
  if (volume.channels !== channels) {
    const names = manifest.dataset?.channelNames;
    throw new UserError(
      "invalid_volume",
      `${volume.source?.path ?? "input"}: ${volume.channels} channel(s), but the model takes ` +
        `${channels}${names ? ` (${names.join(", ")})` : ""}` +
        (channels > 1
          ? `: give one --input per channel in order ({case}_0000.nii.gz … _${
            String(channels - 1).padStart(4, "0")
          }.nii.gz), or -i <folder> of such files`
          : ""),
    );
  }
  return normalizeImage(volume, manifest.preprocessing.normalization);
}
