/**
 * Whole-volume inference from a model folder (docs/METHOD.md 6), for the CLI and the worker alike.
 * As nnU-Net does, a model that records its training spacing gets the scan resampled to it, and
 * the class probabilities resampled back to the scan's grid before the argmax.
 */
import type { Volume } from "../../shared/volume/volume.ts";
import { resampleToGrid, resampleToSpacing } from "../../shared/volume/resample.ts";
import { type TrainConfig, trainConfigFields } from "../../shared/contracts/train_config.ts";
import { checkInferenceSettings } from "../../shared/contracts/inference.ts";
import { loadModelFolder } from "../checkpoint/model_folder.ts";
import type { ModelManifest } from "../checkpoint/model_manifest.ts";
import { augmentationFlipAxes, sampleFromVolumes, toVolumeLayout } from "../transforms/mod.ts";
import { inputWarnings, refuseLabelMap } from "./input_checks.ts";
import type { InferOptions, InferResult } from "./options.ts";
import { preprocessForModel } from "./preprocess.ts";
import { backgroundComplement, segment } from "./segment.ts";
import { argmaxLabels } from "./sliding_window.ts";
import { keepLargestComponent } from "./largest_component.ts";

/**
 * Segments `volume` with the model in `modelDir`: the training run's intensity normalisation
 * ({@link preprocessForModel}), resampling to the training spacing when the model records one,
 * the model's knowledge vector (loaded with the weights), sliding window (default: the model's
 * training patch and stride), network A unless told otherwise, optionally mirrored
 * ({@link mirrorAxes}). Outputs share the input's shape, spacing, affine and source.
 *
 * @throws UserError for a channel count the model does not take, a label map given as the scan,
 *   a bad patch or stride, or a single-network model asked for B, the average or the
 *   uncertainty map, or mirroring for a model trained without flips.
 */
export async function inferVolume(
  modelDir: string,
  volume: Volume,
  options: InferOptions = {},
): Promise<InferResult> {
  const model = await loadModelFolder(modelDir);
  try {
    const { manifest } = model;
    const augment = trainingAugment(manifest);
    checkInferenceSettings({ pair: model.networks.has("b"), augment }, options);
    const normalized = preprocessForModel(volume, manifest);
    refuseLabelMap(volume);
    const fingerprint = manifest.dataset;
    const warnings = fingerprint ? inputWarnings(volume, fingerprint) : [];
    const target = fingerprint?.spacing;
    const resample = target !== undefined &&
      volume.spacing.some((s, axis) => Math.abs(s - target[axis]) > 1e-3 * target[axis]);
    const grid = resample ? resampleToSpacing(normalized, target, "linear") : normalized;
    const largestComponent = options.largestComponent ?? false;
    const result = await segment(
      sampleFromVolumes(grid),
      model.networks.get("a")!,
      model.networks.get("b"),
      {
        patch: options.patch ?? manifest.patch,
        stride: options.stride ?? manifest.stride,
        network: options.network ?? "a",
        largestComponent: largestComponent && !resample,
        uncertainty: options.uncertainty ?? false,
        mirrorAxes: options.tta ? mirrorAxes(augment) : [],
      },
    );
    let { labels, foreground, uncertainty } = result;
    if (resample) {
      // Back to the scan's grid in network layout: probabilities (linear), then the argmax.
      const back = (values: Float32Array, channels: number): Float32Array => {
        const n = grid.shape[0] * grid.shape[1] * grid.shape[2];
        const data = new Float32Array(n * channels);
        toVolumeLayout(values, grid.shape, channels, data);
        return sampleFromVolumes(resampleToGrid({ ...grid, channels, data }, volume, "linear"))
          .image;
      };
      const classes = manifest.network.classes;
      const probabilities = back(result.probabilities, classes);
      labels = argmaxLabels(probabilities, classes);
      if (largestComponent) keepLargestComponent(labels, volume.shape);
      foreground = backgroundComplement(probabilities, classes);
      uncertainty = uncertainty && back(uncertainty, 1);
    }
    const like = <T extends Uint8Array | Float32Array>(values: T, empty: T): Volume<T> => {
      toVolumeLayout(values, volume.shape, 1, empty);
      return { ...volume, channels: 1, data: empty };
    };
    const n = volume.shape[0] * volume.shape[1] * volume.shape[2];
    return {
      mask: like(labels, new Uint8Array(n)),
      probabilities: options.probabilities ? like(foreground, new Float32Array(n)) : undefined,
      uncertainty: uncertainty ? like(uncertainty, new Float32Array(n)) : undefined,
      warnings,
      resampled: resample ? { from: [...volume.spacing], to: [...target] } : undefined,
    };
  } finally {
    model.dispose();
  }
}

/** The model's training augmentation; absent where its record names none (an import). */
function trainingAugment(manifest: ModelManifest): TrainConfig["augment"] | undefined {
  const augment = trainConfigFields.shape.augment.safeParse(manifest.training?.augment);
  return augment.success ? augment.data : undefined;
}

/**
 * The axes test-time mirroring flips: those the model's training augmentation flipped, so the
 * network only sees orientations it learned; all three for a model whose record names no
 * augmentation (an import), as nnU-Net mirrors.
 */
function mirrorAxes(augment: TrainConfig["augment"] | undefined): (0 | 1 | 2)[] {
  return augment ? augmentationFlipAxes(augment) : [0, 1, 2];
}
