/**
 * The cases a training run uses, in memory as network-layout samples: labelled, unlabelled and
 * validation, from a dataset folder, a dataset description file, or (no data given) a small
 * synthetic dataset.
 */
import { join } from "node:path";
import { UserError } from "@llmseg/shared";
import { pathExists } from "../../shared/path_exists.ts";
import {
  type DatasetDescription,
  type DatasetMetadata,
  listCases,
  loadCase,
  type LoadedCase,
  type Normalization,
  parseDatasetDescription,
  readDatasetMetadata,
  splitCases,
  TASK_NORMALIZATION,
  writeSyntheticDataset,
} from "../../shared/dataset/mod.ts";
import type { CaseEntry } from "../../shared/dataset/mod.ts";
import {
  type DatasetFingerprint,
  intensityStatistics,
  medianSpacing,
  mostCommon,
} from "../../shared/dataset/fingerprint.ts";
import { axisCodes, resampleToSpacing, type Volume } from "../../shared/volume/mod.ts";
import { type Sample, sampleFromVolumes } from "../transforms/mod.ts";
import type { TrainConfig } from "./config.ts";
import type { PresetName } from "./events.ts";

export interface TrainingData {
  labeled: Sample[];
  unlabeled: Sample[];
  /** Held-out labelled cases for validation (may be empty). */
  validation: Sample[];
  /** The intensity normalisation applied, recorded in the model folder for inference. */
  normalization: Normalization;
  /** Spacing, orientation, intensities and split, recorded in the model folder. */
  fingerprint: DatasetFingerprint;
}

/**
 * Loads every case of the split. `data` is a folder (nnU-Net layout with `imagesTr/`, or the
 * lineage's h5 layout with `train.list` or `cases.list`), a dataset description `.json`, or
 * undefined for a synthetic dataset (a few cases a little larger than the patch).
 *
 * Cases are resampled to the median spacing of the dataset (nnU-Net's target spacing) where
 * theirs differs; labels are checked against `config.classes` (values beyond it are refused
 * unless `config.mergeLabels`) and against dataset.json's labels.
 *
 * @throws UserError for an unreadable dataset, too few cases, missing labels, a label value the
 *   model has no class for, or a channel count other than `config.inChannels`.
 */
export async function loadTrainingData(
  data: string | undefined,
  preset: PresetName,
  config: TrainConfig,
  validationCases?: number,
): Promise<TrainingData> {
  const unlabeledNeeded = config.mode === "cotrain";
  let description: DatasetDescription;
  let scratch: string | undefined;
  if (data === undefined) {
    scratch = await Deno.makeTempDir({ prefix: "llmseg-synthetic-" });
    const validation = validationCases ?? 1;
    await writeSyntheticDataset(scratch, {
      cases: config.labeledCount + (unlabeledNeeded ? 4 : 0) + validation,
      shape: config.patch.map((p) => p + 4) as [number, number, number],
      seed: config.seed,
    });
    description = parseDatasetDescription({
      source: { layout: "nnunet", root: scratch },
      split: { labelled: config.labeledCount, test: validation },
      binarizeLabel: true,
    }, "synthetic dataset");
  } else {
    description = await describe(data, preset, config, validationCases);
  }
  try {
    const split = splitCases(await listCases(description.source), description.split);
    if (split.labelled.length < config.labeledBatchSize) {
      throw new UserError(
        "invalid_dataset",
        `${
          data ?? "synthetic dataset"
        }: ${split.labelled.length} labelled case(s), the batch needs ` +
          `${config.labeledBatchSize}`,
      );
    }
    if (unlabeledNeeded && split.unlabelled.length === 0) {
      throw new UserError(
        "invalid_dataset",
        `${data}: co-training needs unlabelled cases, but all cases are labelled or held out ` +
          "(use --supervised-only or a smaller labelled count)",
      );
    }
    const metadata = description.source.layout === "nnunet"
      ? await readDatasetMetadata(description.source.root)
      : undefined;
    checkMetadata(metadata, config, description.binarizeLabel, data ?? "synthetic dataset");
    const load = (entries: CaseEntry[], withLabels: boolean): Promise<LoadedCase[]> =>
      Promise.all(entries.map(async (entry) => {
        if (withLabels && entry.label === undefined) {
          throw new UserError("invalid_dataset", `case ${entry.id} has no label file`);
        }
        const loaded = await loadCase(withLabels ? entry : { ...entry, label: undefined }, {
          normalization: description.normalization,
          binarizeLabel: description.binarizeLabel,
          classes: config.classes,
        });
        if (loaded.image.channels !== config.inChannels) {
          throw new UserError(
            "invalid_dataset",
            `case ${entry.id}: ${loaded.image.channels} channel(s), the model takes ` +
              `${config.inChannels} (--in-channels ${loaded.image.channels})`,
          );
        }
        return loaded;
      }));
    const validationEntries = split.test.filter((c) => c.label !== undefined);
    const labelled = await load(split.labelled, true);
    const unlabelled = unlabeledNeeded ? await load(split.unlabelled, false) : [];
    const validation = await load(validationEntries, true);
    const training = [...labelled, ...unlabelled];
    const spacing = medianSpacing(training.map((c) => c.image.spacing));
    const samples = (cases: LoadedCase[]): Sample[] =>
      cases.map((c) => {
        const resampled = toSpacing(c, spacing);
        return sampleFromVolumes(resampled.image, resampled.label, true);
      });
    const intensity = Array.from(
      { length: config.inChannels },
      (_, channel) =>
        intensityStatistics(
          labelled.map((c) => c.foregroundSample?.[channel] ?? new Float32Array()),
        ),
    );
    return {
      labeled: samples(labelled),
      unlabeled: samples(unlabelled),
      validation: samples(validation),
      normalization: description.normalization,
      fingerprint: {
        channelNames: metadata?.channelNames,
        labels: metadata?.labels,
        labelsMerged: description.binarizeLabel,
        spacing,
        orientation: mostCommon(training.map((c) => axisCodes(c.image.affine))),
        intensity: intensity.every((s) => s !== undefined) ? intensity : [],
        split: {
          labelled: split.labelled.map((c) => c.id),
          unlabelled: unlabeledNeeded ? split.unlabelled.map((c) => c.id) : [],
          validation: validationEntries.map((c) => c.id),
        },
      },
    };
  } finally {
    if (scratch) await Deno.remove(scratch, { recursive: true });
  }
}

/**
 * Refuses a configuration that contradicts dataset.json: another channel count, or other classes
 * (unless the labels are merged into one foreground).
 */
function checkMetadata(
  metadata: DatasetMetadata | undefined,
  config: TrainConfig,
  merged: boolean,
  where: string,
): void {
  const names = metadata?.channelNames;
  if (names && names.length !== config.inChannels) {
    throw new UserError(
      "invalid_dataset",
      `${where}: dataset.json names ${names.length} channel(s) (${names.join(", ")}), the model ` +
        `takes ${config.inChannels} (--in-channels ${names.length})`,
    );
  }
  const labels = metadata?.labels;
  const classes = labels && Object.keys(labels).length;
  if (classes && !merged && classes !== config.classes) {
    throw new UserError(
      "invalid_dataset",
      `${where}: dataset.json names ${classes} classes (${Object.keys(labels).join(", ")}), the ` +
        `model has ${config.classes} (--classes ${classes}, or --merge-labels for one foreground)`,
    );
  }
}

/** A case brought to `spacing` (linear for the image, nearest for the label), if not there. */
function toSpacing(
  loaded: LoadedCase,
  spacing: [number, number, number],
): { image: Volume<Float32Array>; label?: Volume<Uint8Array> } {
  const same = loaded.image.spacing.every((s, axis) =>
    Math.abs(s - spacing[axis]) <= 1e-3 * spacing[axis]
  );
  if (same) return loaded;
  return {
    image: resampleToSpacing(loaded.image, spacing, "linear") as Volume<Float32Array>,
    label: loaded.label &&
      resampleToSpacing(loaded.label, spacing, "nearest") as Volume<Uint8Array>,
  };
}

/** A description for a folder or a description file. */
async function describe(
  data: string,
  preset: PresetName,
  config: TrainConfig,
  validationCases?: number,
): Promise<DatasetDescription> {
  if (data.endsWith(".json")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await Deno.readTextFile(data));
    } catch (error) {
      throw new UserError("invalid_dataset", `${data}: ${(error as Error).message}`);
    }
    return parseDatasetDescription(parsed, data);
  }
  const has = (name: string): Promise<boolean> => pathExists(join(data, name));
  const list = (await has("train.list"))
    ? "train.list"
    : (await has("cases.list"))
    ? "cases.list"
    : undefined;
  if (!(await has("imagesTr")) && !list) {
    throw new UserError(
      "invalid_dataset",
      `${data}: not a dataset (expected imagesTr/ for the nnU-Net layout, train.list or ` +
        "cases.list for the h5 layout, or a dataset description .json)",
    );
  }
  const source = list ? { layout: "h5-list", root: data, list } : { layout: "nnunet", root: data };
  return parseDatasetDescription({
    source,
    split: {
      labelled: config.labeledCount,
      ...(validationCases === undefined ? {} : { test: validationCases }),
    },
    normalization: preset === "smoke" ? { zscore: "all" } : TASK_NORMALIZATION[preset],
    binarizeLabel: config.mergeLabels ?? false,
  }, data);
}
