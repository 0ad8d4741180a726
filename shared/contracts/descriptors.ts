import { z } from "zod";

/** Body of `POST /v1/descriptors`: what the LLM is asked to describe (docs/METHOD.md 1.3). */
export const DescriptorGenerate = z.object({
  /** Id of the new set: lower-case letters, digits and `-`. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  structure: z.string().min(1).max(200),
  modality: z.string().min(1).max(200),
  /** Prompt template id; default `generic-v1`. */
  promptId: z.string().min(1).optional(),
  landmarks: z.string().max(500).optional(),
  neighbours: z.string().max(500).optional(),
  count: z.number().int().min(1).max(50).optional(),
  minWords: z.number().int().min(1).max(500).optional(),
});
export type DescriptorGenerate = z.infer<typeof DescriptorGenerate>;

/** One entry of `GET /v1/descriptors`: a tenant's own set or a shipped one. */
export const DescriptorSetListing = z.object({
  id: z.string(),
  structure: z.string(),
  modality: z.string(),
  count: z.number().int(),
  hash: z.string(),
  owner: z.enum(["tenant", "shipped"]),
});
export type DescriptorSetListing = z.infer<typeof DescriptorSetListing>;
