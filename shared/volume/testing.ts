/**
 * Test helpers: summaries of a volume that the fixture scripts compute with nibabel/h5py too
 * (tests/fixtures/volume/make_*.py), so a reader's output can be compared without storing voxels.
 */
import type { Volume } from "./volume.ts";

/** Folder of the committed volume fixtures. */
export const volumeFixtures: string = decodeURIComponent(
  new URL("../../tests/fixtures/volume/", import.meta.url).pathname,
);

/**
 * `sum` of all values and `weightedSum` = Σ a[i,j,k,c]·((i + 2j + 3k) mod 5): the weights differ
 * along each axis, so a transposed or flipped read changes it.
 */
export function voxelSums(volume: Volume): { sum: number; weightedSum: number } {
  const [x, y, z] = volume.shape;
  let sum = 0;
  let weightedSum = 0;
  let at = 0;
  for (let c = 0; c < volume.channels; c++) {
    for (let k = 0; k < z; k++) {
      for (let j = 0; j < y; j++) {
        let weight = (2 * j + 3 * k) % 5;
        for (let i = 0; i < x; i++) {
          const value = volume.data[at++];
          sum += value;
          weightedSum += value * weight;
          weight = weight === 4 ? 0 : weight + 1;
        }
      }
    }
  }
  return { sum, weightedSum };
}

/** True when `a` and `b` agree to a relative tolerance (float32 sums of millions of voxels). */
export function close(a: number, b: number, relative = 1e-9): boolean {
  return Math.abs(a - b) <= relative * Math.max(1, Math.abs(a), Math.abs(b));
}
