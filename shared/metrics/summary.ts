/** Mean and standard deviation over test cases, as the papers' tables report them. */
import { numpyMean } from "./numpy_stats.ts";
import type { MaskMetrics } from "./evaluate.ts";

/** Arithmetic mean and population standard deviation (numpy's default ddof = 0) per metric. */
export interface MetricSummary {
  mean: MaskMetrics;
  std: MaskMetrics;
  cases: number;
  /**
   * Cases left out of the mean and std because their metrics are NaN (prediction and reference
   * both empty: nothing to score, as nnU-Net's `np.nanmean` leaves them out).
   */
  undefinedCases: number;
}

const METRICS = ["dice", "jaccard", "hd95", "asd"] as const;

/**
 * Summarises per-case metrics (docs/METHOD.md section 6 step 6: the arithmetic mean over cases),
 * leaving NaN values out (nnU-Net's nanmean); a metric NaN in every case has a NaN mean.
 */
export function summarizeMetrics(rows: readonly MaskMetrics[]): MetricSummary {
  if (rows.length === 0) throw new RangeError("no cases to summarise");
  const mean = { dice: 0, jaccard: 0, hd95: 0, asd: 0 };
  const std = { dice: 0, jaccard: 0, hd95: 0, asd: 0 };
  for (const metric of METRICS) {
    const values = rows.map((row) => row[metric]).filter((value) => !Number.isNaN(value));
    const m = numpyMean(values);
    mean[metric] = m;
    std[metric] = Math.sqrt(numpyMean(values.map((x) => (x - m) * (x - m))));
  }
  const undefinedCases = rows.filter((row) => METRICS.every((m) => Number.isNaN(row[m]))).length;
  return { mean, std, cases: rows.length, undefinedCases };
}
