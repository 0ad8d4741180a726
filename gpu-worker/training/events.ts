/**
 * What a training run accepts and reports: the contract between the learning core and its two
 * callers (the `llmseg train` CLI and the queue worker), which both call {@link train} from
 * `./mod.ts`.
 */
import type { KnowledgeFile } from "../checkpoint/model_manifest.ts";
import type { TrainConfig } from "./config.ts";

/** Names of the built-in presets (`./presets.ts`). */
export type PresetName = "la" | "pancreas" | "brats" | "hippocampus" | "smoke";

/** One training job. */
export interface TrainOptions {
  /** Starting configuration; `overrides` are applied on top and the result is validated. */
  preset: PresetName;
  overrides?: Partial<TrainConfig>;
  /**
   * Dataset folder (see `shared/dataset`). Absent: a small synthetic dataset is generated in
   * memory (meant for the `smoke` preset and tests).
   */
  data?: string;
  /** Model folder: config, weights, knowledge vector and the resumable checkpoint go here. */
  out: string;
  /** Continue from the checkpoint in `out` (weights, optimiser, RNG, iteration). */
  resume?: boolean;
  /**
   * A precomputed 768-d knowledge vector e with its descriptor set (docs/METHOD.md 3.3), e.g. a
   * tenant's set or `llmseg descriptors embed` output; it replaces the config's `descriptors`.
   * Absent: the vector of `descriptors` (`knowledgeVectorFor`). Ignored when beta is 0. Stored in
   * the model folder either way, so inference uses the same knowledge.
   */
  knowledge?: KnowledgeFile;
  /**
   * Held-out cases for validation: a count taken from the end of the training list, or absent for
   * the dataset's own held-out cases (imagesTs, test list). Ignored for a dataset description file.
   */
  validationCases?: number;
}

/** Reported after every iteration. */
export interface IterationEvent {
  kind: "iteration";
  iteration: number;
  maxIterations: number;
  /** Total loss L = L_s + w·L_u (eq 1) of this iteration. */
  loss: number;
  lossSupervised: number;
  lossUnsupervised: number;
  /** Weight applied to L_u this iteration (1 for the literal eq 1). */
  unsupWeight: number;
  /** Learning rate used for this iteration's step. */
  lr: number;
  iterationsPerSecond: number;
  etaSeconds: number;
}

/** Reported after each validation pass (network A, sliding window, no post-processing). */
export interface ValidationEvent {
  kind: "validation";
  iteration: number;
  /**
   * Means over the validation cases of the lineage metrics (docs/METHOD.md 7, voxel units; a case
   * with an empty prediction or label scores 0 on all four, as in the lineage).
   */
  dice: number;
  jaccard: number;
  hd95: number;
  asd: number;
  cases: number;
  /** True when the Dice is the best so far and the model was saved to `<out>/best/`. */
  best: boolean;
}

/** Reported after the checkpoint in the model folder was (atomically) rewritten. */
export interface CheckpointEvent {
  kind: "checkpoint";
  iteration: number;
  path: string;
}

export type ProgressEvent = IterationEvent | ValidationEvent | CheckpointEvent;

/** Callbacks and cancellation for {@link train}. */
export interface TrainHooks {
  /**
   * Called with every event. A promise it returns for an iteration's event is awaited before the
   * next iteration starts, so whatever it learns (the service worker: a cancel) acts within one.
   */
  onProgress?(event: ProgressEvent): unknown;
  /** Aborting stops after the current iteration and writes a checkpoint (the job can resume). */
  signal?: AbortSignal;
}

/** How a run ended. */
export interface TrainResult {
  modelDir: string;
  /** Iterations completed in total (including those before a resume). */
  iterations: number;
  /** True when `signal` stopped the run before `maxIterations`. */
  aborted: boolean;
  finalLoss: number;
  /** Last validation Dice, when validation ran. */
  validationDice?: number;
  /** Best validation Dice of the run; that model is in `<modelDir>/best/`. */
  bestValidationDice?: number;
  config: TrainConfig;
}
