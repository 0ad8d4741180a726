import type { JobKind } from "../../shared/contracts/jobs.ts";
import type { JobRunner } from "./context.ts";
import { runEvaluate } from "./run_evaluate.ts";
import { runInfer } from "./run_infer.ts";
import { runTrain } from "./run_train.ts";

/** The runner of each job kind: the learning core's train / infer / evaluate, as the CLI runs them. */
export const coreRunners: Record<JobKind, JobRunner> = {
  train: runTrain,
  infer: runInfer,
  evaluate: runEvaluate,
};
