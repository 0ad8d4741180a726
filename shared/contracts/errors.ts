import { z } from "zod";

/** Body of every 4xx/5xx answer of the edge: a machine-readable `code` and a sentence for people. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string().describe("machine-readable reason, e.g. `not_found`, `invalid_volume`"),
    message: z.string(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
