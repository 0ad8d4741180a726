import { deepEqual, equal } from "node:assert/strict";
import { maskCentre, maskCentroid, overlapReport, voxelToMm } from "./viewer_math.ts";

Deno.test("maskCentroid finds the mean index of the object in i-fastest order", () => {
  const dims: [number, number, number] = [4, 3, 2];
  const voxels = new Uint8Array(24);
  voxels[1 + 4 * 2 + 12 * 1] = 1; // (1, 2, 1)
  voxels[3 + 4 * 0 + 12 * 1] = 1; // (3, 0, 1)
  deepEqual(maskCentroid(voxels, dims), [2, 1, 1]);
  equal(maskCentroid(new Uint8Array(24), dims), undefined);
});

Deno.test("maskCentre is an object voxel even when the centroid falls between two blobs", () => {
  const dims: [number, number, number] = [5, 1, 1];
  const voxels = Uint8Array.from([1, 0, 0, 0, 1]); // centroid i = 2, outside the object
  deepEqual(maskCentroid(voxels, dims), [2, 0, 0]);
  const centre = maskCentre(voxels, dims)!;
  equal(voxels[centre[0]], 1);
  equal(maskCentre(new Uint8Array(5), dims), undefined);
});

Deno.test("voxelToMm applies spacing and origin", () => {
  const affine = [[2, 0, 0, -10], [0, 1, 0, 5], [0, 0, 3, 0], [0, 0, 0, 1]];
  deepEqual(voxelToMm(affine, [1, 2, 3]), [-8, 7, 9]);
});

Deno.test("overlapReport gives Dice, Jaccard and volumes in millilitres", () => {
  const mask = [0, 1, 1, 1, 0, 0];
  const label = [0, 0, 1, 1, 2, 0];
  const report = overlapReport(mask, label, 500);
  equal(report.dice, (2 * 2) / (3 + 3));
  equal(report.jaccard, 2 / 4);
  equal(report.predictedMl, 1.5);
  equal(report.labelMl, 1.5);
});
