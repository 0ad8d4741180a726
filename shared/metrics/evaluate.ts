/**
 * Per-case evaluation of a predicted mask against a reference mask, the four numbers the papers
 * report (Dice, Jaccard, 95HD, ASD; METHOD.md section 7, section 6 step 6 for empty masks).
 */
import { UserError } from "../errors.ts";
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
}

/** True when `result` holds one entry per label value. */
export function isPerLabel(result: EvaluationResult): result is PerLabelMetrics {
  return "labels" in result;
}

/**
 * Metrics of one binary pair, with the lineage's empty-mask convention: when either mask has no
 * object voxel, all four metrics are 0 (UA-MT `test_util.py`, SSL4MIS `cal_metric`), because the
 * surface distances are undefined there.
 *
 * @param pred [X·Y·Z] prediction mask, i fastest (non-zero = object).
 * @param label [X·Y·Z] reference mask.
 */
export function evaluateBinary(
  pred: Uint8Array,
  label: Uint8Array,
  shape: Shape3,
  spacing: Shape3 = [1, 1, 1],
): MaskMetrics {
  if (isEmpty(pred) || isEmpty(label)) return { dice: 0, jaccard: 0, hd95: 0, asd: 0 };
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
 * @throws UserError when the grids, channel counts or (with `spacing: "header"`) spacings differ,
 *   or a multi-label mask holds non-integer values.
 */
export function evaluateMasks(
  pred: Volume,
  label: Volume,
  options: EvaluateOptions = {},
): EvaluationResult {
  checkSameGrid(pred, label);
  const spacing: Shape3 = options.spacing === "header" ? headerSpacing(pred, label) : [1, 1, 1];
  if (options.labels) return perLabel(pred, label, options.labels, spacing);
  const predValues = nonZeroValues(pred.data);
  const labelValues = nonZeroValues(label.data);
  if (predValues.size <= 1 && labelValues.size <= 1) {
    return evaluateBinary(maskOf(pred.data), maskOf(label.data), pred.shape, spacing);
  }
  const values = [...new Set([...predValues, ...labelValues])].sort((a, b) => a - b);
  const bad = values.find((value) => !Number.isInteger(value));
  if (bad !== undefined) {
    const where = predValues.has(bad) ? describe(pred, "prediction") : describe(label, "label");
    throw new UserError(
      "invalid_mask",
      `${where} holds the non-integer value ${bad}; a multi-label mask must hold integer labels`,
    );
  }
  return perLabel(pred, label, values, spacing);
}

function perLabel(
  pred: Volume,
  label: Volume,
  values: readonly number[],
  spacing: Shape3,
): PerLabelMetrics {
  const labels: Record<string, MaskMetrics> = {};
  for (const value of values) {
    labels[String(value)] = evaluateBinary(
      maskOf(pred.data, value),
      maskOf(label.data, value),
      pred.shape,
      spacing,
    );
  }
  return { labels };
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

/** Distinct non-zero values; stops collecting past 256 (no mask has that many classes). */
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
}

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
