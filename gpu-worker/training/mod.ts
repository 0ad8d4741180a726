/**
 * Training: the co-training method of docs/METHOD.md 5 and its supervised-only baseline. The CLI
 * (`llmseg train`) and the queue worker both call
 *
 *   train(options: TrainOptions, hooks?: TrainHooks): Promise<TrainResult>
 *
 * which checkpoints into `options.out` so that a reclaimed job resumes with `resume: true`.
 */
export { BEST_MODEL_DIR, CHECKPOINT_FILE, LOG_FILE, train } from "./train.ts";
export { type TrainConfig, trainConfigSchema } from "./config.ts";
export { presets, resolveConfig } from "./presets.ts";
export { trainingKnowledge } from "./knowledge.ts";
export { formatDuration, openJsonLinesLog, progressLine, terminalReporter } from "./progress.ts";
export type {
  CheckpointEvent,
  IterationEvent,
  PresetName,
  ProgressEvent,
  TrainHooks,
  TrainOptions,
  TrainResult,
  ValidationEvent,
} from "./events.ts";
