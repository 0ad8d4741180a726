/** Resampling, crop/pad and windowing keep world positions and values as a pipeline needs. */
import assert from "node:assert/strict";
import type { Affine, Volume } from "./volume.ts";
import { cropOrPad, foregroundBox, padToAtLeast } from "./crop_pad.ts";
import { resampleToGrid, resampleToSpacing } from "./resample.ts";
import { windowIntensities } from "./window.ts";
import { encodeNifti } from "./nifti_write.ts";
import { axisCodes, reorient } from "./orient.ts";
import { decodeVolume, readVolume } from "./read.ts";
import { volumeFixtures } from "./testing.ts";

const oblique: Affine = [
  [0.6, -0.1, 0.05, -20],
  [0.08, 0.62, -0.03, 14],
  [-0.02, 0.04, 0.625, 3],
  [0, 0, 0, 1],
];

/** f(i, j, k) = 2i + 3j − k + 1 on a 6x5x4 grid, float32. */
function rampVolume(): Volume {
  const shape: [number, number, number] = [6, 5, 4];
  const data = new Float32Array(120);
  for (let k = 0, at = 0; k < 4; k++) {
    for (let j = 0; j < 5; j++) for (let i = 0; i < 6; i++) data[at++] = 2 * i + 3 * j - k + 1;
  }
  return { shape, channels: 1, data, spacing: [0.625, 0.625, 0.625], affine: oblique };
}

/** Labels 0..3 in blocks, uint8, two channels. */
function labelVolume(): Volume {
  const data = new Uint8Array(2 * 120).map((_, at) =>
    (Math.floor((at % 120) / 7) + (at >= 120 ? 1 : 0)) % 4
  );
  return { ...rampVolume(), channels: 2, data };
}

Deno.test("resampling onto its own grid changes nothing", () => {
  const ramp = rampVolume();
  assert.deepEqual(resampleToGrid(ramp, ramp, "linear").data, ramp.data);
  const labels = labelVolume();
  assert.deepEqual(resampleToGrid(labels, labels, "nearest").data, labels.data);
});

Deno.test("linear resampling to a finer spacing reproduces a linear ramp exactly", () => {
  const ramp = rampVolume();
  const fine = resampleToSpacing(ramp, [0.3125, 0.3125, 0.3125], "linear");
  assert.deepEqual(fine.shape, [12, 10, 8]);
  assert.deepEqual(fine.spacing, [0.3125, 0.3125, 0.3125]);
  assert.ok(fine.data instanceof Float32Array);
  const [x, y] = fine.shape;
  for (let k = 0; k <= 6; k++) {
    for (let j = 0; j <= 8; j++) {
      for (let i = 0; i <= 10; i++) {
        const expected = 2 * (i / 2) + 3 * (j / 2) - k / 2 + 1;
        assert.ok(Math.abs(fine.data[i + j * x + k * x * y] - expected) < 1e-5, `${i},${j},${k}`);
      }
    }
  }
  // voxel (0, 0, 0) keeps its world position; the axes keep their directions
  assert.deepEqual(fine.affine.map((row) => row[3]), oblique.map((row) => row[3]));
  assert.ok(Math.abs(fine.affine[0][0] - 0.3) < 1e-12);
});

Deno.test("nearest resampling keeps label values, and the way back restores the labels", () => {
  const labels = labelVolume();
  const fine = resampleToSpacing(labels, [0.3125, 0.3125, 0.3125], "nearest");
  assert.ok(fine.data instanceof Uint8Array);
  assert.deepEqual(new Set(fine.data), new Set(labels.data));
  const back = resampleToGrid(fine, labels, "nearest");
  assert.deepEqual(back.shape, labels.shape);
  assert.deepEqual(back.affine, labels.affine);
  assert.deepEqual(back.data, labels.data);
  const coarse = resampleToSpacing(labels, [1.25, 1.25, 1.25], "nearest");
  assert.deepEqual(coarse.shape, [3, 3, 2]);
  for (const value of coarse.data) assert.ok(value <= 3);
});

Deno.test("crop, pad and their inverse keep every voxel at its world position", () => {
  const ramp = rampVolume();
  const cropped = cropOrPad(ramp, [1, -2, 2], [4, 8, 3], -1);
  assert.deepEqual(cropped.shape, [4, 8, 3]);
  const at = (v: Volume, i: number, j: number, k: number): number =>
    v.data[i + v.shape[0] * (j + v.shape[1] * k)];
  assert.equal(at(cropped, 0, 2, 0), at(ramp, 1, 0, 2));
  assert.equal(at(cropped, 3, 6, 1), at(ramp, 4, 4, 3));
  assert.equal(at(cropped, 0, 0, 0), -1, "padding above the volume");
  assert.equal(at(cropped, 0, 7, 2), -1, "padding past the far edge (k = 4)");
  const world = (a: Affine, v: number[]): number =>
    a[0][0] * v[0] + a[0][1] * v[1] + a[0][2] * v[2] + a[0][3];
  assert.ok(Math.abs(world(cropped.affine, [0, 2, 0]) - world(ramp.affine, [1, 0, 2])) < 1e-12);
  const restored = resampleToGrid(cropped, ramp, "nearest");
  assert.equal(at(restored, 2, 3, 3), at(ramp, 2, 3, 3));
  const padded = padToAtLeast(ramp, [9, 5, 1]);
  assert.deepEqual(padded.shape, [9, 5, 4]);
  assert.equal(at(padded, 1, 0, 0), at(ramp, 0, 0, 0));
  assert.equal(at(padded, 0, 0, 0), 0);
  assert.equal(padToAtLeast(ramp, [2, 2, 2]), ramp);
});

Deno.test("foregroundBox bounds the non-zero voxels, with a clipped margin", () => {
  const mask: Volume = { ...rampVolume(), data: new Uint8Array(120) };
  assert.equal(foregroundBox(mask), undefined);
  mask.data[2 + 6 * (1 + 5 * 3)] = 1;
  mask.data[4 + 6 * (3 + 5 * 1)] = 1;
  assert.deepEqual(foregroundBox(mask), { start: [2, 1, 1], end: [5, 4, 4] });
  assert.deepEqual(foregroundBox(mask, [1, 2, 3]), { start: [1, 0, 0], end: [6, 5, 4] });
});

Deno.test("CT windowing clips to level ± width/2 and rescales to [0, 1]", () => {
  const hu: Volume = {
    ...rampVolume(),
    data: Float32Array.from([-1000, -125, 75, 175, 275, 3000]),
  };
  const windowed = windowIntensities(hu, 75, 400);
  assert.deepEqual(Array.from(windowed.data), [0, 0, 0.5, 0.75, 1, 1]);
  assert.throws(() => windowIntensities(hu, 75, 0), /width must be positive/);
});

Deno.test("a mask made in canonical, resampled space comes back in the scan's geometry", async () => {
  const scan = await readVolume(`${volumeFixtures}big_endian.nii`);
  assert.equal(axisCodes(scan.affine), "LAS");
  const canonical = reorient(scan);
  const fine = resampleToSpacing(
    canonical,
    canonical.spacing.map((s) => s / 2) as [number, number, number],
    "linear",
  );
  const mask = { ...fine, data: Uint8Array.from(fine.data, (v) => (v > 0 ? 1 : 0)) };
  const back = resampleToGrid(mask, scan, "nearest");
  assert.deepEqual(back.shape, scan.shape);
  assert.deepEqual(back.data, Uint8Array.from(scan.data, (v) => (v > 0 ? 1 : 0)));
  const written = await decodeVolume(encodeNifti(back, { datatype: "uint8" }), "mask.nii.gz");
  assert.deepEqual(written.affine, scan.affine);
  assert.deepEqual(written.data, back.data);
});
