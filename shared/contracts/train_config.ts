/**
 * The training configuration: every knob of docs/METHOD.md section 5 and the paper's ablations as one
 * validated object. It crosses process boundaries (the model folder, the job request the edge
 * checks at submit and the worker runs), so it is a zod schema here, shared by the CLI, the edge
 * and the worker, and the type is inferred from it.
 */
import { z } from "zod";

const positiveInt = z.number().int().positive();
const triple = z.tuple([positiveInt, positiveInt, positiveInt]);
const targetAlignment = z.enum(["none", "class-prior"]);
const pseudoLabels = z.enum(["partner", "partner-ema"]);
const cutmixPartner = z.enum(["unlabelled", "labelled"]);
const emaDecay = z.number().min(0).max(1);

/** Weight of the past in the mean-teacher average: UA-MT's. */
export const DEFAULT_EMA_DECAY = 0.99;

/** The fields of {@link TrainConfig}, each checked alone (the cross-field rules are below). */
export const trainConfigFields = z.strictObject({
  /** Backbone: the lineage V-Net (docs/METHOD.md 3.1) or the SSL4MIS 3D U-Net (3.2). */
  arch: z.enum(["vnet", "unet3d"]),
  nFilters: positiveInt,
  inChannels: positiveInt,
  classes: z.number().int().min(2),
  /**
   * Train every non-zero label value as class 1 (`--merge-labels`; needs `classes` 2). Absent:
   * false, and a label value ≥ `classes` is refused.
   */
  mergeLabels: z.boolean().optional(),
  /** Training patch [X, Y, Z]; every side divisible by 16 (four stride-2 levels). */
  patch: triple,
  /** Batch = `labeledBatchSize` labelled followed by the unlabelled rest (docs/METHOD.md 2.2). */
  batchSize: positiveInt,
  labeledBatchSize: positiveInt,
  /** How many cases of the dataset's training list are labelled (the first ones, docs/METHOD.md 2.1). */
  labeledCount: positiveInt,
  maxIterations: positiveInt,
  /** SGD with PyTorch semantics (docs/METHOD.md 2.4). */
  baseLr: z.number().positive(),
  momentum: z.number().min(0).max(1),
  weightDecay: z.number().min(0),
  /** Poly decay `lr = base·(1 − it/max)^power` (docs/METHOD.md 2.3). */
  lrPower: z.number().min(0),
  /** `cotrain`: the two-network method of docs/METHOD.md 5; `supervised`: one network, labels only. */
  mode: z.enum(["cotrain", "supervised"]),
  /** L_s of eq 3 and its Table 6 ablations. */
  supLoss: z.enum(["ce+dice", "ce", "dice"]),
  /**
   * L_u of eq 5 and its Table 7 ablations; `usl+dice` adds a foreground Dice against the partner's
   * hard pseudo-labels to USL (a named variant of issue #12, not the paper's).
   */
  unsupLoss: z.enum(["usl", "nll", "mse", "usl+dice"]),
  /**
   * `class-prior` rescales each partner's probabilities by the labelled class fractions over that
   * partner's running mean before they become the L_u target (distribution alignment, a named
   * variant of issue #12, not the paper's). Defaults to `none` (model folders written before it).
   */
  targetAlignment: targetAlignment.default("none"),
  /**
   * Where each network's L_u target comes from: its partner (the paper), or `partner-ema`, an
   * exponential moving average of the partner's weights (mean teacher, a named variant of issue
   * #12). Defaults to `partner` (model folders written before it).
   */
  pseudoLabels: pseudoLabels.default("partner"),
  /** Weight of the past in the `partner-ema` average. */
  emaDecay: emaDecay.default(DEFAULT_EMA_DECAY),
  /**
   * What fills B's CutMix boxes: another unlabelled sample (the paper), or a labelled one whose
   * labels are then B's target there, pasted into the box and around it in turn (bidirectional
   * copy-paste, BCP; a named variant of issue #12). Defaults to `unlabelled` (model folders
   * written before it).
   */
  cutmixPartner: cutmixPartner.default("unlabelled"),
  /** USL thresholds (docs/METHOD.md 1.2; DEFAULT t1 0.70, t2 0.05). */
  t1: z.number().min(0).max(1),
  t2: z.number().min(0).max(1),
  /** Weight of L_u: eq 1 literally (`constant` 1) or the lineage sigmoid ramp-up (docs/METHOD.md 2.3). */
  unsupSchedule: z.enum(["constant", "sigmoid-rampup"]),
  /** Iterations over which the sigmoid ramp-up reaches its end value. */
  rampupIterations: positiveInt,
  /**
   * Largest weight λ of L_u, where the schedule ends: 1 is eq 1 literally; the UA-MT and
   * SSL4MIS-CPS lineage uses 0.1 (docs/METHOD.md 2.3). Defaults to 1 (model folders written before it).
   */
  unsupMaxWeight: z.number().min(0).default(1),
  /** Text weight β of eq 7; 0 disables the text branch. */
  beta: z.number().min(0),
  /**
   * The descriptor set whose knowledge vector e the text branch adds (docs/METHOD.md 1.3, 3.3): a
   * shipped set id (`la`) or a set file path. Unused when beta is 0.
   */
  descriptors: z.string().min(1),
  /** Half-width of the uniform input noise η (eq 2); 0 disables it. */
  noise: z.number().min(0),
  /**
   * Spatial augmentation before the crop (docs/METHOD.md 2.2): `rot-flip` = the lineage RandomRotFlip
   * (LA, BraTS), `flip` = each axis flipped with p 0.5 (non-square patches), `none` = crop only (Pancreas).
   */
  augment: z.enum(["rot-flip", "flip", "none"]),
  /** Dropout as in the lineage (V-Net Dropout3d 0.5, U-Net 0.3) during training. */
  dropout: z.boolean(),
  /** Validation every N iterations (0: never) with sliding-window stride `validationStride`. */
  validateEvery: z.number().int().min(0),
  validationStride: triple,
  /** A resumable checkpoint is written every N iterations and at the end. */
  checkpointEvery: positiveInt,
  seed: z.number().int(),
});

/** Schema of {@link TrainConfig}; `parse` it to check a preset with user overrides applied. */
export const trainConfigSchema = trainConfigFields.refine(
  (c) => !c.mergeLabels || c.classes === 2,
  { message: "mergeLabels makes one foreground class: classes must be 2" },
).refine((c) => c.labeledBatchSize <= c.batchSize, {
  message: "labeledBatchSize must not exceed batchSize",
}).refine((c) => c.patch.every((p) => p % 16 === 0), {
  message: "every patch side must be divisible by 16 (four stride-2 levels)",
}).refine((c) => c.mode === "supervised" || c.batchSize - c.labeledBatchSize >= 2, {
  message: "co-training needs at least 2 unlabelled samples per batch (CutMix partner swap)",
});

/** Every setting of one training run (see {@link trainConfigSchema} for each field). */
export type TrainConfig = z.infer<typeof trainConfigSchema>;

/** The problems of a failed {@link trainConfigSchema} parse, one `field: message` each, joined. */
export function configProblems(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`).join("; ");
}

/**
 * What a service tenant may override in `POST /v1/jobs` (any field but `descriptors`): unknown
 * keys and wrong types are refused at submit. The descriptor set is named by the request's
 * `descriptorSetId` (the tenant's own or a shipped set), never by a path the worker would open.
 */
export const TrainOverrides = trainConfigFields.omit({ descriptors: true })
  // Without their defaults: an override left out must leave the preset's value, not fill one in.
  .extend({
    unsupMaxWeight: z.number().min(0),
    targetAlignment,
    pseudoLabels,
    emaDecay,
    cutmixPartner,
  })
  .partial();
export type TrainOverrides = z.infer<typeof TrainOverrides>;
