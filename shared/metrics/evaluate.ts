/**
 * Per-case evaluation of a predicted mask against a reference mask, the four numbers the papers
 * report (Dice, Jaccard, 95HD, ASD; docs/METHOD.md section 7), with nnU-Net's handling of empty
 * masks by default and the lineage's (docs/METHOD.md section 6 step 6) on request.
 */
import { UserError } from "../errors.ts";
import { affineDistance } from "../volume/affine.ts";
import type { Volume, VoxelArray } from "../volume/volume.ts";
import { dice, jaccard } from "./overlap.ts";
import type { Shape3 } from "./surface.ts";
import { asd, hd95, surfaceDistances } from "./surface_distance.ts";

/** The four metrics of one object class. hd95 and asd are in voxels or millimetres. */
export interface MaskMetrics {
  dice: number;
  jaccard: number;
  hd95: number;
  asd: number;
}

/** Metrics per label value (as a string key) for masks with more than one object class. */
export interface PerLabelMetrics {
  labels: Record<string, MaskMetrics>;
}

/** A binary comparison gives {@link MaskMetrics}; a multi-label one, {@link PerLabelMetrics}. */
export type EvaluationResult = MaskMetrics | PerLabelMetrics;

/**
 * What an empty mask scores. `nnunet` (default): both empty → NaN for all four (nnU-Net's Dice;
 * left out of means, counted apart); one empty → Dice 0, Jaccard 0, and 95HD = ASD = the grid's
 * diagonal (the largest distance inside the volume, in the distance unit: the BraTS challenge's
 * 373.13 mm penalty for its 240×240×155 grid). `lineage`: either empty → all four 0, as UA-MT and
 * SSL4MIS record it, which scores 95HD and ASD as perfect.
 */
export type EmptyMaskConvention = "nnunet" | "lineage";

/** Which of a pair's masks are empty ("none" when both hold object voxels). */
export type Emptiness = "none" | "prediction" | "reference" | "both";

/** Most distinct non-zero values a mask may hold: more is an image passed as a mask. */
export const MAX_MASK_LABELS = 32;

export interface EvaluateOptions {
  /**
   * `voxel` (default, as the papers' tables): unit spacing. `header`: the voxel size from the
   * files' headers, so distances are in millimetres. HDF5 stores none, so an h5 label takes the
   * prediction's; two headers must agree.
   */
  spacing?: "voxel" | "header";
  /**
   * Evaluate exactly these label values, one entry each, instead of detecting binary or
   * multi-label from the data (so that every case of a folder gives the same keys).
   */
  labels?: number[];
  /** Default `nnunet`; see {@link EmptyMaskConvention}. */
  emptyMasks?: EmptyMaskConvention;
}

/** True when `result` holds one entry per label value. */
export function isPerLabel(result: EvaluationResult): result is PerLabelMetrics {
  return "labels" in result;
}

/** Which of `pred` and `label` hold no object voxel. */
export function emptiness(pred: Uint8Array, label: Uint8Array): Emptiness {
  const predEmpty = isEmpty(pred), labelEmpty = isEmpty(label);
  return predEmpty && labelEmpty
    ? "both"
    : predEmpty
    ? "prediction"
    : labelEmpty
    ? "reference"
    : "none";
}

/**
 * Metrics of one binary pair. Surface distances are undefined when a mask is empty; what is
 * recorded then follows `emptyMasks` ({@link EmptyMaskConvention}, default `nnunet`).
 *
 * @param pred [X·Y·Z] prediction mask, i fastest (non-zero = object).
 * @param label [X·Y·Z] reference mask.
 */
export function evaluateBinary(
  pred: Uint8Array,
  label: Uint8Array,
  shape: Shape3,
  spacing: Shape3 = [1, 1, 1],
  emptyMasks: EmptyMaskConvention = "nnunet",
): MaskMetrics {
  const empty = emptiness(pred, label);
  if (empty !== "none" && emptyMasks === "lineage") return { dice: 0, jaccard: 0, hd95: 0, asd: 0 };
  if (empty === "both") return { dice: NaN, jaccard: NaN, hd95: NaN, asd: NaN };
  if (empty !== "none") {
    const penalty = Math.hypot(...shape.map((n, axis) => n * spacing[axis]));
    return { dice: 0, jaccard: 0, hd95: penalty, asd: penalty };
  }
  const distances = surfaceDistances(pred, label, shape, spacing);
  return {
    dice: dice(pred, label),
    jaccard: jaccard(pred, label),
    hd95: hd95(distances),
    asd: asd(distances),
  };
}

/**
 * Compares a predicted mask volume with a reference mask volume of the same grid.
 *
 * When each volume holds at most one non-zero value, the masks are binary (non-zero = object, as
 * medpy casts to bool) and one {@link MaskMetrics} comes back. Otherwise every non-zero value
 * present in either volume is one class, evaluated on its own: `{labels: {"1": …, "2": …}}`.
 * `options.labels` fixes the classes instead.
 *
 * @throws UserError when the grids (shape, or the world placement of two NIfTI headers), channel
 *   counts or (with `spacing: "header"`) spacings differ, or a volume is no mask: a non-integer or
 *   negative value, or more than {@link MAX_MASK_LABELS} label values (an image passed as a mask).
 */
export function evaluateMasks(
  pred: Volume,
  label: Volume,
  options: EvaluateOptions = {},
): EvaluationResult {
  checkSameGrid(pred, label);
  const spacing: Shape3 = options.spacing === "header" ? headerSpacing(pred, label) : [1, 1, 1];
  const predValues = maskValues(pred, "prediction");
  const labelValues = maskValues(label, "label");
  const convention = options.emptyMasks ?? "nnunet";
  if (options.labels) return perLabel(pred, label, options.labels, spacing, convention);
  if (predValues.size <= 1 && labelValues.size <= 1) {
    return evaluateBinary(maskOf(pred.data), maskOf(label.data), pred.shape, spacing, convention);
  }
  const values = [...new Set([...predValues, ...labelValues])].sort((a, b) => a - b);
  return perLabel(pred, label, values, spacing, convention);
}

function perLabel(
  pred: Volume,
  label: Volume,
  values: readonly number[],
  spacing: Shape3,
  convention: EmptyMaskConvention,
): PerLabelMetrics {
  const labels: Record<string, MaskMetrics> = {};
  for (const value of values) {
    labels[String(value)] = evaluateBinary(
      maskOf(pred.data, value),
      maskOf(label.data, value),
      pred.shape,
      spacing,
      convention,
    );
  }
  return { labels };
}

/**
 * The distinct non-zero values of a mask volume.
 * @throws UserError naming the file when a value is not a non-negative integer or there are more
 *   than {@link MAX_MASK_LABELS}: the volume is an image (or a probability map), not a mask.
 */
function maskValues(volume: Volume, role: string): Set<number> {
  const values = nonZeroValues(volume.data);
  const bad = [...values].find((value) => !Number.isInteger(value) || value < 0);
  if (bad !== undefined) {
    throw new UserError(
      "invalid_mask",
      `${describe(volume, role)} holds the value ${bad}; a mask holds non-negative integer ` +
        "labels (is this an image or a probability map?)",
    );
  }
  if (values.size > MAX_MASK_LABELS) {
    throw new UserError(
      "invalid_mask",
      `${describe(volume, role)} holds ${values.size > 256 ? "over 256" : values.size} ` +
        `different label values (a mask has at most ${MAX_MASK_LABELS}); is this an image?`,
    );
  }
  return values;
}

/**
 * A 0/1 mask of the voxels equal to `value`, or of all non-zero voxels when `value` is omitted.
 * @returns [X·Y·Z] for a one-channel volume's data.
 */
export function maskOf(data: VoxelArray, value?: number): Uint8Array {
  const mask = new Uint8Array(data.length);
  if (value === undefined) {
    for (let v = 0; v < data.length; v++) mask[v] = data[v] !== 0 ? 1 : 0;
  } else {
    for (let v = 0; v < data.length; v++) mask[v] = data[v] === value ? 1 : 0;
  }
  return mask;
}

function isEmpty(mask: Uint8Array): boolean {
  for (let v = 0; v < mask.length; v++) if (mask[v] !== 0) return false;
  return true;
}

/** Distinct non-zero values; stops collecting past 256 (an image: reported as "over 256"). */
function nonZeroValues(data: VoxelArray): Set<number> {
  const values = new Set<number>();
  let last = 0; // neighbouring voxels mostly repeat a value: skip the set for those
  for (let v = 0; v < data.length && values.size <= 256; v++) {
    const value = data[v];
    if (value !== 0 && value !== last) {
      values.add(value);
      last = value;
    }
  }
  return values;
}

function describe(volume: Volume, role: string): string {
  return volume.source ? `${role} ${volume.source.path}` : role;
}

function checkSameGrid(pred: Volume, label: Volume): void {
  for (const [volume, role] of [[pred, "prediction"], [label, "label"]] as const) {
    if (volume.channels !== 1) {
      throw new UserError(
        "invalid_mask",
        `${describe(volume, role)} has ${volume.channels} channels; a mask has one`,
      );
    }
  }
  if (pred.shape.some((size, axis) => size !== label.shape[axis])) {
    throw new UserError(
      "shape_mismatch",
      `${describe(pred, "prediction")} has shape ${pred.shape.join("x")} but ` +
        `${describe(label, "label")} has shape ${label.shape.join("x")}`,
    );
  }
  // Same shape but another place in the world: a prediction of another case, or one written in
  // another orientation. HDF5 stores no geometry, so it is only compared between two headers.
  const headers = [pred, label].every((volume) => volume.source?.format !== "hdf5");
  if (headers && affineDistance(pred.affine, label.affine) > GEOMETRY_TOLERANCE_MM) {
    const origin = (volume: Volume) =>
      volume.affine.slice(0, 3).map((row) => row[3].toFixed(2)).join(", ");
    throw new UserError(
      "geometry_mismatch",
      `${describe(pred, "prediction")} and ${describe(label, "label")} have the same shape but ` +
        `different geometry (voxel-to-world affines differ by up to ` +
        `${affineDistance(pred.affine, label.affine).toFixed(3)}; origins ${origin(pred)} and ` +
        `${origin(label)} mm): the prediction must be written on the reference's grid`,
    );
  }
}

/** Largest difference between two affines' entries still taken as one grid (float32 headers). */
const GEOMETRY_TOLERANCE_MM = 1e-3;

/**
 * The voxel size in mm: from the volumes whose file stores one (NIfTI, or an in-memory volume),
 * which must agree; the label's recorded spacing when neither does (both HDF5).
 */
function headerSpacing(pred: Volume, label: Volume): Shape3 {
  const stored = [label, pred].filter((volume) => volume.source?.format !== "hdf5");
  if (stored.length === 2) {
    const differ = pred.spacing.some((s, axis) =>
      Math.abs(s - label.spacing[axis]) > 1e-4 * Math.max(1, Math.abs(s))
    );
    if (differ) {
      throw new UserError(
        "spacing_mismatch",
        `${describe(pred, "prediction")} has spacing ${pred.spacing.join("x")} mm but ` +
          `${describe(label, "label")} has ${label.spacing.join("x")} mm; ` +
          "--spacing header needs both on the same grid",
      );
    }
  }
  return [...(stored[0] ?? label).spacing];
}
