import { z } from "zod";
import { JobStatus } from "./jobs.ts";

/** Progress of a running job, appended by the worker to `t:{tenant}:job:{id}:ev`. */
export const ProgressEvent = z.object({
  type: z.literal("progress"),
  /** 0..1 */
  progress: z.number().min(0).max(1),
  phase: z.string(),
  iteration: z.number().int().optional(),
  /** Total loss L = L_s + w·L_u of a training iteration (docs/METHOD.md eq 1). */
  loss: z.number().optional(),
  /** Its supervised part L_s. */
  lossSupervised: z.number().optional(),
  /** Its unsupervised part L_u (before the weight w). */
  lossUnsupervised: z.number().optional(),
  /** Learning rate of the iteration's step (poly decay). */
  lr: z.number().optional(),
  /** The worker's estimate of the seconds left, from its measured iteration rate. */
  etaSeconds: z.number().min(0).optional(),
  /** Mean validation Dice of a validation pass. */
  dice: z.number().optional(),
});

/** A status change (the SSE stream ends after a final one). */
export const StatusEvent = z.object({
  type: z.literal("status"),
  status: JobStatus,
  error: z.string().optional(),
});

/** One entry of a job's event stream; the Redis stream id becomes the SSE `id:`. */
export const JobEvent = z.discriminatedUnion("type", [ProgressEvent, StatusEvent]);
export type JobEvent = z.infer<typeof JobEvent>;
export type ProgressEvent = z.infer<typeof ProgressEvent>;
