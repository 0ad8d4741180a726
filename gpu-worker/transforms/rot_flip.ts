import type { Rng } from "@llmseg/shared";
import type { Sample } from "./sample.ts";
import { flip, rot90 } from "./spatial.ts";

/**
 * The lineage's `RandomRotFlip` (METHOD.md 2.2): k ~ U{0..3} quarter turns in the plane of axes
 * (0, 1), then always a flip along axis 0 or 1. Draw order as in UA-MT: k, then the axis.
 */
export function randomRotFlip(sample: Sample, rng: Rng): Sample {
  const k = rng.integer(0, 4);
  const axis = rng.integer(0, 2) as 0 | 1;
  return flip(rot90(sample, k), axis);
}

/** The flip half of {@link randomRotFlip} alone, for non-square patches (hippocampus preset). */
export function randomFlip(sample: Sample, rng: Rng): Sample {
  return flip(sample, rng.integer(0, 2) as 0 | 1);
}
