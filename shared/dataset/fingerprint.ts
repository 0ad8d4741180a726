/**
 * What a model was trained on, as nnU-Net's dataset fingerprint records it: channel and class
 * names, the voxel spacing the cases were brought to, their orientation, the raw intensities of
 * the labelled structures per channel, and the split. Stored in the model folder so that
 * inference can resample to the training spacing and say when an input looks unlike the data.
 */
import { z } from "zod";
import { numpyPercentile } from "../metrics/numpy_stats.ts";

const positive = z.number().positive();

/** Raw foreground intensities of one channel over the labelled training cases. */
export const IntensityStatistics = z.object({
  mean: z.number(),
  std: z.number(),
  min: z.number(),
  max: z.number(),
  median: z.number(),
  /** 0.5th and 99.5th percentiles (nnU-Net's `percentile_00_5`, `percentile_99_5`). */
  p00_5: z.number(),
  p99_5: z.number(),
});
export type IntensityStatistics = z.infer<typeof IntensityStatistics>;

export const DatasetFingerprint = z.object({
  /** Channel names in order (dataset.json), or absent. */
  channelNames: z.array(z.string()).optional(),
  /** Class name → value (dataset.json), or absent. */
  labels: z.record(z.string(), z.int().min(0)).optional(),
  /** True when all non-zero label values were trained as one foreground class (--merge-labels). */
  labelsMerged: z.boolean(),
  /** Voxel size in mm the training cases were resampled to: the median over the cases. */
  spacing: z.tuple([positive, positive, positive]),
  /** Axis codes (e.g. "RAS", "LPS") of most training cases. */
  orientation: z.string().regex(/^[RLAPSI]{3}$/),
  /** Per channel; empty when no labelled case had foreground. */
  intensity: z.array(IntensityStatistics),
  /** Case ids of each part of the split. */
  split: z.object({
    labelled: z.array(z.string()),
    unlabelled: z.array(z.string()),
    validation: z.array(z.string()),
  }),
});
export type DatasetFingerprint = z.infer<typeof DatasetFingerprint>;

/** The median spacing per axis of `spacings` (nnU-Net's target spacing). */
export function medianSpacing(
  spacings: readonly [number, number, number][],
): [number, number, number] {
  return [0, 1, 2].map((axis) =>
    numpyPercentile(Float64Array.from(spacings, (s) => s[axis]), 50)
  ) as [number, number, number];
}

/** The most common of `codes` (ties: the first seen). */
export function mostCommon(codes: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const code of codes) counts.set(code, (counts.get(code) ?? 0) + 1);
  return [...counts].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
}

/**
 * Statistics of one channel from the foreground samples of every labelled case.
 * @returns undefined when the samples hold no voxel.
 */
export function intensityStatistics(
  samples: readonly Float32Array[],
): IntensityStatistics | undefined {
  const total = samples.reduce((n, s) => n + s.length, 0);
  if (total === 0) return undefined;
  const all = new Float64Array(total);
  let offset = 0;
  for (const sample of samples) {
    all.set(sample, offset);
    offset += sample.length;
  }
  let sum = 0;
  for (const x of all) sum += x;
  const mean = sum / total;
  let squares = 0;
  for (const x of all) squares += (x - mean) ** 2;
  return {
    mean,
    std: Math.sqrt(squares / total),
    min: numpyPercentile(all, 0),
    max: numpyPercentile(all, 100),
    median: numpyPercentile(all, 50),
    p00_5: numpyPercentile(all, 0.5),
    p99_5: numpyPercentile(all, 99.5),
  };
}
