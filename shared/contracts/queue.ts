import { z } from "zod";
import { JobKind } from "./jobs.ts";

/**
 * A work-stream entry (`q:{kind}`): only ids; the job hash holds the rest, so a trimmed or
 * replayed entry never carries stale state.
 */
export const WorkMessage = z.object({
  tenantId: z.string().min(1),
  jobId: z.string().min(1),
  kind: JobKind,
});
export type WorkMessage = z.infer<typeof WorkMessage>;

/** A dead-letter entry (`q:dead`): the original fields plus why it was given up. */
export const DeadLetter = z.object({
  stream: z.string(),
  entryId: z.string(),
  fields: z.record(z.string(), z.string()),
  reason: z.string(),
  deliveries: z.number().int(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;
