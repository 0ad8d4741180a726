import { z } from "zod";

/**
 * An immutable model version with its lineage: what it was trained on, with which descriptors and
 * configuration, and how it scored. Written once by the worker when a training job completes.
 */
export const ModelVersion = z.object({
  id: z.string(),
  tenantId: z.string(),
  /** 1, 2, … per tenant, in creation order. */
  version: z.number().int().positive(),
  lineage: z.object({
    jobId: z.string(),
    /** Absent: trained on the built-in synthetic dataset. */
    datasetId: z.string().optional(),
    descriptorSetId: z.string().optional(),
    /** The full validated training configuration. */
    config: z.record(z.string(), z.unknown()),
    metrics: z.record(z.string(), z.number()),
  }),
  /** Blob prefix of the model folder (internal). */
  blobPrefix: z.string(),
  createdAt: z.string(),
});
export type ModelVersion = z.infer<typeof ModelVersion>;

/** A model version as clients see it: without its internal blob prefix. */
export const PublicModel = ModelVersion.omit({ blobPrefix: true });
export type PublicModel = z.infer<typeof PublicModel>;
