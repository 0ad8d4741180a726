import { z } from "zod";
import { InferenceSettings } from "./inference.ts";
import { TrainOverrides } from "./train_config.ts";

export const JobKind = z.enum(["train", "infer", "evaluate"]);
export type JobKind = z.infer<typeof JobKind>;

/** `queued → running → completed | failed | cancelled`; the last three are final. */
export const JobStatus = z.enum(["queued", "running", "completed", "failed", "cancelled"]);
export type JobStatus = z.infer<typeof JobStatus>;
export const finalStatuses: readonly JobStatus[] = ["completed", "failed", "cancelled"];

/** Inference of one uploaded scan with one model version. */
export const InferRequest = z.object({
  kind: z.literal("infer"),
  scanId: z.string().min(1),
  modelId: z.string().min(1),
  /** Also write the foreground probability map and the co-training uncertainty map. */
  probabilities: z.boolean().default(false),
  uncertainty: z.boolean().default(false),
  ...InferenceSettings.shape,
});

/** Preset names of the learning core (`gpu-worker/training/presets.ts`). */
export const TrainPreset = z.enum(["la", "pancreas", "brats", "hippocampus", "smoke"]);

/**
 * Training: a preset plus overrides. The edge checks the whole resulting configuration and the
 * tenant's limits at submit; the worker checks again with the same schema. Without `datasetId`
 * the core's built-in synthetic dataset is used (smoke tests).
 */
export const TrainRequest = z.object({
  kind: z.literal("train"),
  preset: TrainPreset.default("smoke"),
  overrides: TrainOverrides.default({}),
  datasetId: z.string().min(1).optional(),
  descriptorSetId: z.string().min(1).optional(),
});

/** Evaluation of a model version on a dataset's test pairs, segmented as an inference job would. */
export const EvaluateRequest = z.object({
  kind: z.literal("evaluate"),
  modelId: z.string().min(1),
  datasetId: z.string().min(1),
  ...InferenceSettings.shape,
});

/** Body of `POST /v1/jobs`. */
export const JobRequest = z.discriminatedUnion("kind", [
  InferRequest,
  TrainRequest,
  EvaluateRequest,
]);
export type JobRequest = z.infer<typeof JobRequest>;
export type InferRequest = z.infer<typeof InferRequest>;
export type TrainRequest = z.infer<typeof TrainRequest>;
export type EvaluateRequest = z.infer<typeof EvaluateRequest>;

/** Names of result files a finished job leaves in the blob store (`GET /v1/jobs/{id}/results/{name}`). */
export const ResultName = z.enum(["mask", "probabilities", "uncertainty", "metrics", "model"]);
export type ResultName = z.infer<typeof ResultName>;

/** A job as the edge shows it and as Redis keeps it (`t:{tenant}:job:{id}`). */
export const JobRecord = z.object({
  id: z.string(),
  tenantId: z.string(),
  kind: JobKind,
  status: JobStatus,
  request: JobRequest,
  /** 0..1 */
  progress: z.number().min(0).max(1),
  /** How many times a worker has picked the job up. */
  attempt: z.number().int().nonnegative(),
  cancelRequested: z.boolean(),
  error: z.string().optional(),
  /** Result names available for download, and the model version a training produced. */
  results: z.array(ResultName),
  modelId: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  heartbeatAt: z.string().optional(),
});
export type JobRecord = z.infer<typeof JobRecord>;
