import { z } from "zod";

/** An image scan and its label scan, both uploaded scan ids. */
export const ScanPair = z.object({ image: z.string().min(1), label: z.string().min(1) });
export type ScanPair = z.infer<typeof ScanPair>;

/** Body of `POST /v1/datasets`: labelled pairs, unlabelled scans, held-out test pairs. */
export const DatasetCreate = z.object({
  name: z.string().min(1).max(200),
  labelled: z.array(ScanPair).min(1),
  unlabelled: z.array(z.string().min(1)).default([]),
  test: z.array(ScanPair).default([]),
  /** Labels may hold several classes (0..N); otherwise they must be binary {0, 1}. */
  multiLabel: z.boolean().default(false),
});
export type DatasetCreate = z.infer<typeof DatasetCreate>;

export const Dataset = DatasetCreate.extend({
  id: z.string(),
  tenantId: z.string(),
  createdAt: z.string(),
});
export type Dataset = z.infer<typeof Dataset>;
