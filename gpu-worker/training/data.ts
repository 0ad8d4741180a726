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
  listCases,
  loadCase,
  type Normalization,
  parseDatasetDescription,
  splitCases,
  TASK_NORMALIZATION,
  writeSyntheticDataset,
} from "../../shared/dataset/mod.ts";
import type { CaseEntry } from "../../shared/dataset/mod.ts";
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
}

/**
 * Loads every case of the split. `data` is a folder (nnU-Net layout with `imagesTr/`, or the
 * lineage's h5 layout with `train.list` or `cases.list`), a dataset description `.json`, or
 * undefined for a synthetic dataset (a few cases a little larger than the patch).
 *
 * @throws UserError for an unreadable dataset, too few cases, missing labels, or a channel count
 *   other than `config.inChannels`.
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
    const load = (entries: CaseEntry[], withLabels: boolean): Promise<Sample[]> =>
      Promise.all(entries.map(async (entry) => {
        if (withLabels && entry.label === undefined) {
          throw new UserError("invalid_dataset", `case ${entry.id} has no label file`);
        }
        const loaded = await loadCase(withLabels ? entry : { ...entry, label: undefined }, {
          normalization: description.normalization,
          binarizeLabel: description.binarizeLabel,
        });
        if (loaded.image.channels !== config.inChannels) {
          throw new UserError(
            "invalid_dataset",
            `case ${entry.id}: ${loaded.image.channels} channel(s), the configuration expects ` +
              `${config.inChannels} (set inChannels)`,
          );
        }
        return sampleFromVolumes(loaded.image, loaded.label, true);
      }));
    return {
      labeled: await load(split.labelled, true),
      unlabeled: unlabeledNeeded ? await load(split.unlabelled, false) : [],
      validation: await load(split.test.filter((c) => c.label !== undefined), true),
      normalization: description.normalization,
    };
  } finally {
    if (scratch) await Deno.remove(scratch, { recursive: true });
  }
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
    binarizeLabel: config.classes === 2,
  }, data);
}
