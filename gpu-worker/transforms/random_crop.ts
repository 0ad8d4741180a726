import type { Rng } from "@llmseg/shared";
import type { Sample, Shape3 } from "./sample.ts";
import { cropMap, identityMap, materialize, type VoxelMap } from "./spatial.ts";

/**
 * Zero padding per side of the lineage's `RandomCrop` (docs/METHOD.md 2.2): when any side is ≤ the
 * patch side, every axis is padded by `max((patch − dim)//2 + 3, 0)` on both sides.
 */
export function cropPadding(shape: Shape3, patch: Shape3): Shape3 {
  if (shape.every((s, a) => s > patch[a])) return [0, 0, 0];
  return shape.map((s, a) => Math.max(Math.floor((patch[a] - s) / 2) + 3, 0)) as Shape3;
}

/**
 * The lineage's `RandomCrop(patch)` as a map: pad as {@link cropPadding}, then start
 * `randint(0, dim − p)` per axis (upper bound exclusive, draws in axis order).
 */
export function randomCropMap(map: VoxelMap, patch: Shape3, rng: Rng): VoxelMap {
  const pad = cropPadding(map.shape, patch);
  const padded = map.shape.map((s, a) => s + 2 * pad[a]) as Shape3;
  const start = padded.map((s, a) => rng.integer(0, s - patch[a])) as Shape3;
  return cropMap(map, pad, start, patch);
}

/** {@link randomCropMap} applied to a sample, image and label alike. */
export function randomCrop(sample: Sample, patch: Shape3, rng: Rng): Sample {
  return materialize(sample, randomCropMap(identityMap(sample.shape), patch, rng));
}
