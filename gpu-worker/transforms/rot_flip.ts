import type { Rng } from "@llmseg/shared";
import type { Sample } from "./sample.ts";
import { flipMap, identityMap, materialize, rot90Map, type VoxelMap } from "./spatial.ts";

/**
 * The lineage's `RandomRotFlip` (docs/METHOD.md 2.2) as a map: k ~ U{0..3} quarter turns in the plane
 * of axes (0, 1), then always a flip along axis 0 or 1. Draw order as in UA-MT: k, then the axis.
 */
export function randomRotFlipMap(map: VoxelMap, rng: Rng): VoxelMap {
  const k = rng.integer(0, 4);
  const axis = rng.integer(0, 2) as 0 | 1;
  return flipMap(rot90Map(map, k), axis);
}

/** The flip half of {@link randomRotFlipMap} alone, for non-square patches (hippocampus preset). */
export function randomFlipMap(map: VoxelMap, rng: Rng): VoxelMap {
  return flipMap(map, rng.integer(0, 2) as 0 | 1);
}

/** {@link randomRotFlipMap} applied to a sample. */
export function randomRotFlip(sample: Sample, rng: Rng): Sample {
  return materialize(sample, randomRotFlipMap(identityMap(sample.shape), rng));
}
