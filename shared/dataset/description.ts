/**
 * The dataset description a user hands to training, evaluation or the service: where the cases
 * are (one of the two layouts users bring), how to split them, and how to normalise each case.
 * It crosses process boundaries (CLI flags, job bodies), so it is a zod schema.
 */
import { z } from "zod";
import { UserError } from "../errors.ts";

/**
 * nnU-Net raw layout: `imagesTr/{case}_{XXXX}.nii.gz` (XXXX = channel), `labelsTr/{case}.nii.gz`;
 * also its Decathlon origin, `imagesTr/{case}.nii.gz` with the channels inside one file.
 */
export const NnUNetLayout = z.object({
  layout: z.literal("nnunet"),
  /** Folder holding `imagesTr/`, `labelsTr/`, optional `imagesTs/` and `dataset.json`. */
  root: z.string().min(1),
});
export type NnUNetLayout = z.infer<typeof NnUNetLayout>;

/**
 * The lineage's h5 lists (UA-MT, MC-Net, BCP): a text file of case ids, one per line, and one
 * HDF5 file per id holding datasets `image` and `label`.
 */
export const H5ListLayout = z.object({
  layout: z.literal("h5-list"),
  root: z.string().min(1),
  /** List of the training (or all) case ids, relative to root. */
  list: z.string().min(1).default("train.list"),
  /** Optional list of held-out test ids, relative to root (the lineage's `test.list`). */
  testList: z.string().min(1).optional(),
  /** Path of a case's file relative to root; `{id}` is replaced by the case id. */
  file: z.string().includes("{id}").default("{id}/mri_norm2.h5"),
  /** Voxel size in mm to record for the volumes, which HDF5 files do not store (LA: 0.625). */
  spacing: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()])
    .optional(),
});
export type H5ListLayout = z.infer<typeof H5ListLayout>;

/** Case ids or a count of cases. */
const CasesByCountOrList = z.union([z.int().min(0), z.array(z.string().min(1))]);

/**
 * Which cases are labelled, unlabelled and held out. A count takes cases in list order (the
 * lineage's "first N of train.list" for labelled), after a seeded shuffle when `seed` is given:
 * labelled from the front, test from the back, unlabelled from what remains.
 */
export const SplitSpec = z.object({
  labelled: CasesByCountOrList,
  /** Default: every case that is neither labelled nor test. */
  unlabelled: z.union([CasesByCountOrList, z.literal("rest")]).default("rest"),
  /** Default: the cases of `testList` / `imagesTs`, or none. */
  test: CasesByCountOrList.optional(),
  /** Shuffle with this seed (the `Rng` of shared/random.ts) before counting; absent: list order. */
  seed: z.int().optional(),
});
export type SplitSpec = z.infer<typeof SplitSpec>;

/**
 * Per-case intensity normalisation, applied in this order (docs/METHOD.md section 2.1):
 * CT window (clip to [low, high], rescale to [0, 1]; Pancreas [−125, 275]), percentile clip
 * (BraTS: upper 99.9 %), then z-score over all voxels, over non-zero voxels only (BraTS: the
 * brain, background set to 0), or none (LA h5 files are already z-scored).
 */
export const Normalization = z.object({
  window: z.tuple([z.number(), z.number()]).refine(([low, high]) => low < high, {
    message: "window must be [low, high] with low < high",
  }).optional(),
  clipPercentiles: z.tuple([z.number().min(0).max(100), z.number().min(0).max(100)]).refine(
    ([low, high]) => low < high,
    { message: "clipPercentiles must be [low, high] with low < high" },
  ).optional(),
  zscore: z.enum(["all", "nonzero", "none"]).default("all"),
});
export type Normalization = z.infer<typeof Normalization>;

/** The whole description. */
export const DatasetDescription = z.object({
  source: z.discriminatedUnion("layout", [NnUNetLayout, H5ListLayout]),
  split: SplitSpec,
  normalization: Normalization.default({ zscore: "all" }),
  /** Map every non-zero label to 1 (hippocampus, BraTS whole tumour; docs/METHOD.md section 2.1). */
  binarizeLabel: z.boolean().default(false),
});
export type DatasetDescription = z.infer<typeof DatasetDescription>;

/**
 * Per-task normalisation the lineage uses (docs/METHOD.md section 2.1); hippocampus is not a paper task
 * and gets a plain per-case z-score.
 */
export const TASK_NORMALIZATION: Record<
  "la" | "pancreas" | "brats" | "hippocampus",
  Normalization
> = {
  la: { zscore: "none" },
  pancreas: { window: [-125, 275], zscore: "all" },
  brats: { clipPercentiles: [0, 99.9], zscore: "nonzero" },
  hippocampus: { zscore: "all" },
};

/**
 * Validates a description (parsed JSON, a job body) and returns it with defaults filled in.
 * @param where names the input in the error, e.g. a file path.
 * @throws UserError `invalid_dataset` listing every bad field.
 */
export function parseDatasetDescription(input: unknown, where: string): DatasetDescription {
  const result = DatasetDescription.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) =>
    `${issue.path.length ? issue.path.join(".") : "(top level)"}: ${issue.message}`
  );
  throw new UserError(
    "invalid_dataset",
    `${where}: invalid dataset description\n  ${problems.join("\n  ")}`,
  );
}
