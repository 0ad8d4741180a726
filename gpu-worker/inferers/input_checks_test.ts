import assert from "node:assert/strict";
import { UserError } from "@llmseg/shared";
import type { DatasetFingerprint } from "../../shared/dataset/fingerprint.ts";
import { spacingAffine } from "../../shared/volume/affine.ts";
import type { Affine, Volume } from "../../shared/volume/volume.ts";
import { inputWarnings, refuseLabelMap } from "./input_checks.ts";

const fingerprint: DatasetFingerprint = {
  channelNames: ["FLAIR"],
  labelsMerged: false,
  spacing: [1, 1, 1],
  orientation: "RAS",
  intensity: [{ mean: 300, std: 50, min: 100, max: 600, median: 300, p00_5: 150, p99_5: 550 }],
  split: { labelled: ["a"], unlabelled: [], validation: [] },
};

function scan(spacing: [number, number, number], affine: Affine, scale = 1): Volume {
  const data = Float32Array.from({ length: 8 * 8 * 8 }, (_, v) => (200 + (v % 300)) * scale);
  return {
    shape: [8, 8, 8],
    channels: 1,
    data,
    spacing,
    affine,
    source: { path: "x.nii.gz", format: "nifti" },
  };
}

Deno.test("an input like the training data gets no warning", () => {
  assert.deepEqual(inputWarnings(scan([1, 1, 1], spacingAffine([1, 1, 1])), fingerprint), []);
});

Deno.test("a 0.8x0.8x2.5 mm oblique LPS scan with other intensities gets one warning each", () => {
  const angle = 20 * Math.PI / 180;
  const [c, s] = [Math.cos(angle), Math.sin(angle)];
  // LPS (x and y flipped), rotated 20° about z, voxel 0.8x0.8x2.5 mm.
  const affine: Affine = [
    [-0.8 * c, 0.8 * s, 0, 0],
    [-0.8 * s, -0.8 * c, 0, 0],
    [0, 0, 2.5, 0],
    [0, 0, 0, 1],
  ];
  const warnings = inputWarnings(scan([0.8, 0.8, 2.5], affine, 0.01), fingerprint);
  assert.equal(warnings.length, 4, warnings.join("\n"));
  assert.match(warnings[0], /spacing 0\.8x0\.8x2\.5 mm is unlike the training data's 1x1x1 mm/);
  assert.match(warnings[1], /oblique \(20\.0° from the world axes\)/);
  assert.match(warnings[2], /orientation LPS, the model was trained on RAS/);
  assert.match(
    warnings[3],
    /FLAIR intensities .* do not overlap the training foreground's 150\.0…550\.0/,
  );
});

Deno.test("a label map given as the scan is refused, a scan is not", () => {
  const label = scan([1, 1, 1], spacingAffine([1, 1, 1]));
  label.data = Uint8Array.from(label.data, (x) => x % 3);
  assert.throws(
    () => refuseLabelMap(label),
    (e: unknown) =>
      e instanceof UserError && /values 0, 1, 2; this looks like a label map/.test(e.message),
  );
  refuseLabelMap(scan([1, 1, 1], spacingAffine([1, 1, 1])));
});
