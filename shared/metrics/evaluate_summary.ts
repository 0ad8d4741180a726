/**
 * A folder evaluation as nnU-Net's `summary.json` lays it out: every case with its metrics per
 * class and the voxel counts behind them, then the mean per class and the mean over classes
 * (`foreground_mean`). JSON has no NaN: an undefined metric (both masks empty) is written as null.
 */
import type { Volume } from "../volume/volume.ts";
import {
  type EmptyMaskConvention,
  type EvaluationResult,
  isPerLabel,
  type MaskMetrics,
} from "./evaluate.ts";
import { type MetricSummary, summarizeMetrics } from "./summary.ts";

/** One class of one case: the four metrics and the object voxels in each mask. */
export interface ClassScore extends MaskMetrics {
  /** Object voxels in the prediction (0: an empty prediction). */
  predictionVoxels: number;
  /** Object voxels in the reference (0: an empty reference). */
  referenceVoxels: number;
}

/** One evaluated case. */
export interface CaseScore {
  case: string;
  prediction: string;
  reference: string;
  /** Per class value ("1" for a binary pair: every non-zero voxel). */
  classes: Record<string, ClassScore>;
}

/** The whole of `summary.json`. */
export interface EvaluationSummary {
  /** How empty masks were scored and what the distance unit is, in words. */
  conventions: { emptyMasks: EmptyMaskConvention; distanceUnit: string; note: string };
  cases: CaseScore[];
  /** Per class: mean and std over the cases where the metric is defined. */
  mean: Record<string, MetricSummary>;
  /** The class means averaged over classes (nnU-Net's `foreground_mean`). */
  foregroundMean: MaskMetrics;
  /** Reference cases without a prediction (only with --allow-missing; otherwise an error). */
  missingPredictions: string[];
}

const METRICS = ["dice", "jaccard", "hd95", "asd"] as const;

/**
 * The per-class scores of one case, with the voxel counts of each class in both masks.
 * @param result what `evaluateMasks(pred, reference)` returned for these volumes.
 */
export function scoreCase(
  id: string,
  files: { prediction: string; reference: string },
  pred: Volume,
  reference: Volume,
  result: EvaluationResult,
): CaseScore {
  const perClass: Record<string, MaskMetrics> = isPerLabel(result)
    ? result.labels
    : { "1": result };
  const count = (volume: Volume, key: string): number => {
    let n = 0;
    const value = Number(key);
    const binary = !isPerLabel(result);
    for (let v = 0; v < volume.data.length; v++) {
      if (binary ? volume.data[v] !== 0 : volume.data[v] === value) n++;
    }
    return n;
  };
  const classes: Record<string, ClassScore> = {};
  for (const [key, metrics] of Object.entries(perClass)) {
    classes[key] = {
      ...metrics,
      predictionVoxels: count(pred, key),
      referenceVoxels: count(reference, key),
    };
  }
  return { case: id, ...files, classes };
}

/** Means per class and over classes of scored cases. */
export function summarizeEvaluation(
  cases: CaseScore[],
  conventions: EvaluationSummary["conventions"],
  missingPredictions: string[] = [],
): EvaluationSummary {
  const keys = [...new Set(cases.flatMap((c) => Object.keys(c.classes)))]
    .sort((a, b) => Number(a) - Number(b));
  const mean: Record<string, MetricSummary> = {};
  for (const key of keys) {
    mean[key] = summarizeMetrics(
      cases.filter((c) => key in c.classes).map((c) => c.classes[key]),
    );
  }
  const foregroundMean = { dice: 0, jaccard: 0, hd95: 0, asd: 0 };
  for (const metric of METRICS) {
    const defined = keys.map((k) => mean[k].mean[metric]).filter((x) => !Number.isNaN(x));
    foregroundMean[metric] = defined.length === 0
      ? NaN
      : defined.reduce((s, x) => s + x, 0) / defined.length;
  }
  return { conventions, cases, mean, foregroundMean, missingPredictions };
}

/** How `convention` scored empty masks, in a sentence for output and summary.json. */
export function emptyMaskNote(convention: EmptyMaskConvention): string {
  return convention === "nnunet"
    ? "prediction and reference both empty: every metric NaN (null in JSON), left out of means; " +
      "one of them empty: Dice 0, Jaccard 0, 95HD = ASD = the grid's diagonal (a penalty)"
    : "either mask empty: all four metrics 0 (the UA-MT/SSL4MIS lineage's convention; 95HD and " +
      "ASD 0 then read as perfect)";
}
