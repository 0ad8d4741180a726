/**
 * Training: the co-training method of METHOD.md 5 and its supervised-only baseline. The CLI
 * (`llmseg train`) and the queue worker both call `train(options, hooks)`:
 *
 *   train(options: TrainOptions, hooks?: TrainHooks): Promise<TrainResult>
 *
 * which checkpoints into `options.out` so that a reclaimed job resumes with `resume: true`.
 */
export type { TrainConfig } from "./config.ts";
export { trainConfigSchema } from "./config.ts";
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
