import { z } from "zod";

/** An image scan and its label scan, both uploaded scan ids. */
export const ScanPair = z.object({ image: z.string().min(1), label: z.string().min(1) });
export type ScanPair = z.infer<typeof ScanPair>;

/**
 * What the label voxels mean, chosen explicitly rather than guessed:
 * - `binary`: labels hold only 0 (background) and 1 (the structure); anything else is refused;
 * - `foreground`: every non-zero class is the structure (e.g. MSD hippocampus's anterior 1 and
 *   posterior 2 become one hippocampus);
 * - `classes`: labels are classes 0..N, kept apart.
 */
export const LabelHandling = z.enum(["binary", "foreground", "classes"]);
export type LabelHandling = z.infer<typeof LabelHandling>;

/** Body of `POST /v1/datasets`: labelled pairs, unlabelled scans, held-out test pairs. */
export const DatasetCreate = z.object({
  name: z.string().min(1).max(200),
  labelled: z.array(ScanPair).min(1),
  unlabelled: z.array(z.string().min(1)).default([]),
  test: z.array(ScanPair).default([]),
  labels: LabelHandling.default("binary"),
});
export type DatasetCreate = z.infer<typeof DatasetCreate>;

export const Dataset = DatasetCreate.extend({
  id: z.string(),
  tenantId: z.string(),
  /** The distinct voxel values found in the labels (at most 256), for the record. */
  labelValues: z.array(z.number()).default([]),
  createdAt: z.string(),
});
export type Dataset = z.infer<typeof Dataset>;
