/**
 * Runs one experiment row (issue #8): trains through the same `train()` as `llmseg train`, keeps
 * the model folder, segments every validation case with `inferVolume` (sliding window, docs/METHOD.md
 * 6), scores Dice, Jaccard, 95HD and ASD (docs/METHOD.md 7, mm), appends the row to the results file
 * and regenerates the results note and its pictures.
 */
import { dirname, join, resolve } from "node:path";
import {
  evaluateMasks,
  isPerLabel,
  listCases,
  type MaskMetrics,
  prepareLabel,
  readVolume,
  summarizeMetrics,
  UserError,
  type Volume,
  writeVolume,
} from "@llmseg/shared";
import { ModelManifestSchema } from "../checkpoint/model_manifest.ts";
import { inferVolume } from "../inferers/mod.ts";
import { type ProgressEvent, resolveConfig, train, type TrainConfig } from "../training/mod.ts";
import { type ExperimentDefinition, type TaskDefinition, TASKS } from "./definitions.ts";
import { overlayPng } from "./plots.ts";
import { prepareDataset } from "./prepare.ts";
import { appendResult, type ResultRow, writeAtomically } from "./results.ts";
import { writeReport } from "./report.ts";
import { type Fold, loadSplitFile } from "./splits.ts";

export interface RunOptions {
  /** Shared data folder (not needed for synthetic tasks). */
  data?: string;
  /** Runs and prepared data go here: `<out>/<key>/{model,predictions,labels,metrics.json}`. */
  out: string;
  /** Results file, note and pictures go here (`results.json`, `results.md`, `img/`). */
  docs: string;
  fold?: number;
  /** Overrides the preset's seed (several seeds per row). */
  seed?: number;
  /** Overrides the task's iteration count (timing runs). */
  iterations?: number;
  /** Engine backend in use, recorded with the row. */
  backend: string;
  /** The command line to record with the row. */
  command: string;
  onProgress?(event: ProgressEvent): void;
}

/** Bins of the stored loss curve (the full per-iteration log stays in the model folder). */
const LOSS_BINS = 100;

/** Trains, infers and scores one row; returns the row as appended to `<docs>/results.json`. */
export async function runExperiment(
  experiment: ExperimentDefinition,
  options: RunOptions,
): Promise<ResultRow> {
  const { task, fold, foldIndex, root, overrides, seed, key, descriptionPath, modelDir } =
    await setUpRun(experiment, options);
  const runDir = dirname(modelDir);
  const lossEvents: Array<[number, number]> = [];
  const validationCurve: Array<[number, number]> = [];
  let iterationsPerSecond = Number.NaN;
  const trainStart = performance.now();
  const trained = await train({
    preset: experiment.preset,
    overrides,
    data: descriptionPath,
    out: modelDir,
  }, {
    onProgress(event) {
      if (event.kind === "iteration") {
        lossEvents.push([event.iteration, event.loss]);
        iterationsPerSecond = event.iterationsPerSecond;
      }
      if (event.kind === "validation") validationCurve.push([event.iteration, event.dice]);
      options.onProgress?.(event);
    },
  });
  const trainSeconds = (performance.now() - trainStart) / 1000;

  const inferStart = performance.now();
  const scored = await scoreValidation(root, fold.validation, modelDir, runDir);
  const inferSeconds = (performance.now() - inferStart) / 1000;
  const summary = summarizeMetrics(scored.map((s) => s.metrics));
  const perCase = scored.map((s) => ({ case: s.id, ...s.metrics }));
  await writeAtomically(
    join(runDir, "metrics.json"),
    JSON.stringify({ summary, perCase }, null, 1),
  );
  if (experiment.overlay) {
    const first = scored[0];
    await writeAtomically(
      join(options.docs, "img", `${task.name}-overlay.png`),
      overlayPng(
        axialSlice(first.image, first.label, first.prediction, `${first.id} ${experiment.name}`),
        Math.max(2, Math.floor(480 / Math.max(first.image.shape[0], first.image.shape[1]))),
      ),
    );
  }
  const config = trained.config;
  // The knowledge the trainer resolved for `config.descriptors` (BERT or the stand-in).
  const { knowledge } = ModelManifestSchema.parse(
    JSON.parse(await Deno.readTextFile(join(modelDir, "model.json"))),
  );
  const row: ResultRow = {
    key,
    experiment: experiment.name,
    task: task.name,
    label: experiment.label,
    fold: foldIndex,
    seed,
    setup: {
      mode: config.mode,
      unsupLoss: config.unsupLoss,
      unsupMaxWeight: config.unsupMaxWeight,
      beta: config.beta,
      width: config.nFilters,
      patch: config.patch,
      labelled: fold.labelled.length,
      unlabelled: config.mode === "cotrain" ? fold.unlabelled.length : 0,
      validation: fold.validation.length,
      knowledge: knowledge ? `${knowledge.descriptorSetId} (${knowledge.source})` : null,
      backend: options.backend,
    },
    iterations: trained.iterations,
    trainSeconds,
    secondsPerIteration: 1 / iterationsPerSecond,
    inferSeconds,
    mean: summary.mean,
    std: summary.std,
    perCase,
    lossCurve: binned(lossEvents, LOSS_BINS),
    validationCurve,
    command: options.command,
    modelDir,
    finishedAt: new Date().toISOString(),
  };
  const rows = await appendResult(join(options.docs, "results.json"), row);
  await writeReport(options.docs, rows);
  return row;
}

/** Everything a run needs before training: split, prepared data, settings, folders. */
export interface RunSetup {
  task: TaskDefinition;
  fold: Fold;
  foldIndex: number;
  /** nnU-Net folder holding the task's cases. */
  root: string;
  /** Task settings, then the row's method, then seed and iteration overrides. */
  overrides: Partial<TrainConfig>;
  seed: number;
  key: string;
  /** The dataset description (explicit split by case id) handed to `train()`. */
  descriptionPath: string;
  modelDir: string;
}

/**
 * Resolves the fold, prepares the data and writes `<out>/<key>/dataset.json` (an earlier run
 * folder with the same key is removed first: a rerun replaces it whole).
 */
export async function setUpRun(
  experiment: ExperimentDefinition,
  options: Pick<RunOptions, "data" | "out" | "fold" | "seed" | "iterations">,
): Promise<RunSetup> {
  const task = TASKS[experiment.task];
  const foldIndex = options.fold ?? 0;
  const fold = await foldOf(task.split, foldIndex);
  const overrides = {
    ...task.common,
    ...experiment.method,
    labeledCount: fold.labelled.length,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.iterations === undefined ? {} : { maxIterations: options.iterations }),
  };
  // Validates the settings before any data is prepared, and gives the preset's seed by default.
  const { seed } = resolveConfig(experiment.preset, overrides);
  const root = await prepareDataset(task.dataset, options.data, join(options.out, "prepared"));
  const key = `${experiment.name}-fold${foldIndex}-seed${seed}`;
  const runDir = resolve(options.out, key);
  // A rerun of the same key replaces the old run whole.
  await Deno.remove(runDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(runDir, { recursive: true });
  const descriptionPath = join(runDir, "dataset.json");
  await Deno.writeTextFile(
    descriptionPath,
    JSON.stringify(
      {
        source: { layout: "nnunet", root: resolve(root) },
        split: { labelled: fold.labelled, unlabelled: fold.unlabelled, test: fold.validation },
        normalization: task.normalization,
        binarizeLabel: true,
      },
      null,
      2,
    ),
  );
  const modelDir = join(runDir, "model");
  return { task, fold, foldIndex, root, overrides, seed, key, descriptionPath, modelDir };
}

async function foldOf(
  split: (typeof TASKS)[keyof typeof TASKS]["split"],
  index: number,
): Promise<Fold> {
  const folds = "file" in split ? (await loadSplitFile(split.file)).folds : split.folds;
  const fold = folds[index];
  if (!Number.isInteger(index) || !fold) {
    throw new UserError("bad_option", `--fold ${index}: this task has folds 0-${folds.length - 1}`);
  }
  return fold;
}

interface ScoredCase {
  id: string;
  metrics: MaskMetrics;
  image: Volume;
  label: Volume<Uint8Array>;
  prediction: Volume;
}

/**
 * Segments each validation case with the model folder, writes `predictions/<id>.nii.gz` and the
 * binarised reference `labels/<id>.nii.gz` (so `llmseg evaluate --pred-dir … --label-dir …
 * --spacing header` re-scores the run), and scores it in mm.
 */
async function scoreValidation(
  root: string,
  ids: string[],
  modelDir: string,
  runDir: string,
): Promise<ScoredCase[]> {
  const entries = new Map(
    (await listCases({ layout: "nnunet", root })).map((entry) => [entry.id, entry]),
  );
  await Deno.mkdir(join(runDir, "predictions"), { recursive: true });
  await Deno.mkdir(join(runDir, "labels"), { recursive: true });
  const scored: ScoredCase[] = [];
  for (const id of ids) {
    const entry = entries.get(id)!;
    const image = await readVolume(entry.images[0]);
    const label = prepareLabel(await readVolume(entry.label!), true);
    const { mask } = await inferVolume(modelDir, image);
    await writeVolume(join(runDir, "predictions", `${id}.nii.gz`), mask);
    await writeVolume(join(runDir, "labels", `${id}.nii.gz`), label);
    const result = evaluateMasks(mask, label, { spacing: "header" });
    if (isPerLabel(result)) throw new Error(`case ${id}: expected a binary evaluation`);
    scored.push({ id, metrics: result, image, label, prediction: mask });
  }
  return scored;
}

/** The axial (k) slice with the most label voxels, as an overlay slice. */
function axialSlice(
  image: Volume,
  label: Volume<Uint8Array>,
  prediction: Volume,
  caption: string,
): Parameters<typeof overlayPng>[0] {
  const [X, Y, Z] = image.shape;
  const plane = X * Y;
  let best = 0, bestCount = -1;
  for (let k = 0; k < Z; k++) {
    let count = 0;
    for (let v = k * plane; v < (k + 1) * plane; v++) count += label.data[v] ? 1 : 0;
    if (count > bestCount) [best, bestCount] = [k, count];
  }
  const range = [best * plane, (best + 1) * plane] as const;
  return {
    width: X,
    height: Y,
    image: Float32Array.from(image.data.subarray(...range)),
    label: label.data.slice(...range),
    prediction: Uint8Array.from(prediction.data.subarray(...range), (v) => (v ? 1 : 0)),
    caption: `${caption} (SLICE K=${best})`,
  };
}

/** Means of `points` over `bins` consecutive groups: [mean x, mean y]. */
function binned(points: Array<[number, number]>, bins: number): Array<[number, number]> {
  const size = Math.max(1, Math.ceil(points.length / bins));
  const out: Array<[number, number]> = [];
  for (let start = 0; start < points.length; start += size) {
    const group = points.slice(start, start + size);
    out.push([
      group.reduce((s, p) => s + p[0], 0) / group.length,
      group.reduce((s, p) => s + p[1], 0) / group.length,
    ]);
  }
  return out;
}
