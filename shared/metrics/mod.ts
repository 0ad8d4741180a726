/** Segmentation metrics exactly as medpy computes them (docs/METHOD.md section 7). */
export { dice, jaccard } from "./overlap.ts";
export { type Shape3, surfaceVoxels } from "./surface.ts";
export { squaredDistancesAt, squaredDistanceTransform } from "./distance_transform.ts";
export { asd, hd95, type SurfaceDistances, surfaceDistances } from "./surface_distance.ts";
export { numpyMean, numpyPercentile, pairwiseSum } from "./numpy_stats.ts";
export {
  type Emptiness,
  emptiness,
  type EmptyMaskConvention,
  evaluateBinary,
  evaluateMasks,
  type EvaluateOptions,
  type EvaluationResult,
  isPerLabel,
  type MaskMetrics,
  maskOf,
  MAX_MASK_LABELS,
  type PerLabelMetrics,
} from "./evaluate.ts";
export { type MetricSummary, summarizeMetrics } from "./summary.ts";
