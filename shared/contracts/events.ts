import { z } from "zod";
import { JobStatus } from "./jobs.ts";

/** Progress of a running job, appended by the worker to `t:{tenant}:job:{id}:ev`. */
export const ProgressEvent = z.object({
  type: z.literal("progress"),
  /** 0..1 */
  progress: z.number().min(0).max(1),
  phase: z.string(),
  iteration: z.number().int().optional(),
  loss: z.number().optional(),
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
