/** Mean and standard deviation over test cases, as the papers' tables report them. */
import { numpyMean } from "./numpy_stats.ts";
import type { MaskMetrics } from "./evaluate.ts";

/** Arithmetic mean and population standard deviation (numpy's default ddof = 0) per metric. */
export interface MetricSummary {
  mean: MaskMetrics;
  std: MaskMetrics;
  cases: number;
}

const METRICS = ["dice", "jaccard", "hd95", "asd"] as const;

/** Summarises per-case metrics (METHOD.md section 6 step 6: the arithmetic mean over cases). */
export function summarizeMetrics(rows: readonly MaskMetrics[]): MetricSummary {
  if (rows.length === 0) throw new RangeError("no cases to summarise");
  const mean = { dice: 0, jaccard: 0, hd95: 0, asd: 0 };
  const std = { dice: 0, jaccard: 0, hd95: 0, asd: 0 };
  for (const metric of METRICS) {
    const values = rows.map((row) => row[metric]);
    const m = numpyMean(values);
    mean[metric] = m;
    std[metric] = Math.sqrt(numpyMean(values.map((x) => (x - m) * (x - m))));
  }
  return { mean, std, cases: rows.length };
}
