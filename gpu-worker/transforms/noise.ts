import type { Rng } from "@llmseg/shared";

/**
 * Input noise η ~ U(−amplitude, amplitude), iid per voxel (eq 2; docs/METHOD.md 8.7: 0.2), drawn from
 * the seeded generator so that a resumed run draws the same noise.
 */
export function uniformNoise(length: number, amplitude: number, rng: Rng): Float32Array {
  const noise = new Float32Array(length);
  for (let i = 0; i < length; i++) noise[i] = rng.uniformIn(-amplitude, amplitude);
  return noise;
}
