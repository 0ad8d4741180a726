import type { ResultName } from "../contracts/jobs.ts";

/** File name of each job result inside `tenants/{tid}/jobs/{jid}/results/`. */
export const resultFiles: Record<ResultName, string> = {
  mask: "mask.nii.gz",
  probabilities: "probabilities.nii.gz",
  uncertainty: "uncertainty.nii.gz",
  metrics: "metrics.json",
  model: "model.json",
};

/**
 * Blob keys, deterministic per tenant and job, so a redelivered job overwrites its own partial
 * output instead of leaving a second copy.
 */
export const blobKeys = {
  scan: (tid: string, scanId: string): string => `tenants/${tid}/scans/${scanId}`,
  result: (tid: string, jobId: string, name: ResultName): string =>
    `tenants/${tid}/jobs/${jobId}/results/${resultFiles[name]}`,
  /** Prefix of the resumable training checkpoint (the model folder while training). */
  checkpoint: (tid: string, jobId: string): string => `tenants/${tid}/jobs/${jobId}/checkpoint`,
  /** Prefix of an immutable model version's folder. */
  model: (tid: string, modelId: string): string => `tenants/${tid}/models/${modelId}`,
} as const;
