import assert from "node:assert/strict";
import { UserError } from "../errors.ts";
import type { Volume, VoxelArray } from "../volume/volume.ts";
import { evaluateBinary, evaluateMasks, isPerLabel, type MaskMetrics } from "./evaluate.ts";
import type { Shape3 } from "./surface.ts";

function volume(
  shape: Shape3,
  data: VoxelArray,
  spacing: Shape3 = [1, 1, 1],
  path?: string,
): Volume {
  return {
    shape,
    channels: 1,
    data,
    spacing,
    affine: [[spacing[0], 0, 0, 0], [0, spacing[1], 0, 0], [0, 0, spacing[2], 0], [0, 0, 0, 1]],
    source: path ? { path, format: "nifti" } : undefined,
  };
}

/** Paints value into the half-open box [lo, hi) of a flat i-fastest array. */
function paint(data: VoxelArray, [X, Y]: Shape3, lo: Shape3, hi: Shape3, value: number): void {
  for (let k = lo[2]; k < hi[2]; k++) {
    for (let j = lo[1]; j < hi[1]; j++) {
      for (let i = lo[0]; i < hi[0]; i++) data[i + X * (j + Y * k)] = value;
    }
  }
}

const shape: Shape3 = [10, 10, 10];

/** docs/METHOD.md test vector 1 as volumes: A = [2,6)³, B = [3,8)×[2,6)×[2,7). */
function vectorOne(
  predValue: number,
  labelValue: number,
  type: { new (n: number): VoxelArray } = Uint8Array,
): [VoxelArray, VoxelArray] {
  const a = new type(1000);
  const b = new type(1000);
  paint(a, shape, [2, 2, 2], [6, 6, 6], predValue);
  paint(b, shape, [3, 2, 2], [8, 6, 7], labelValue);
  return [a, b];
}

function assertMetrics(actual: MaskMetrics, expected: MaskMetrics, tolerance = 1e-9): void {
  for (const key of ["dice", "jaccard", "hd95", "asd"] as const) {
    assert.ok(
      Math.abs(actual[key] - expected[key]) <= tolerance,
      `${key}: got ${actual[key]}, expected ${expected[key]}`,
    );
  }
}

const vectorOneMetrics = { dice: 0.5853658537, jaccard: 0.4137931034, hd95: 2, asd: 0.4285714286 };

Deno.test("evaluateMasks on binary volumes: any non-zero value is object, any voxel type", () => {
  const [a, b] = vectorOne(1, 255, Float32Array);
  const result = evaluateMasks(volume(shape, a), volume(shape, b));
  assert.ok(!isPerLabel(result));
  assertMetrics(result, vectorOneMetrics, 5e-11);
});

Deno.test("evaluateMasks uses the header spacing only when asked, giving millimetres", () => {
  const [a, b] = vectorOne(1, 1);
  const spacing: Shape3 = [0.625, 0.625, 0.625];
  const voxels = evaluateMasks(volume(shape, a, spacing), volume(shape, b, spacing));
  assertMetrics(voxels as MaskMetrics, vectorOneMetrics, 5e-11);
  const mm = evaluateMasks(volume(shape, a, spacing), volume(shape, b, spacing), {
    spacing: "header",
  }) as MaskMetrics;
  assertMetrics(mm, {
    ...vectorOneMetrics,
    hd95: 2 * 0.625,
    asd: vectorOneMetrics.asd * 0.625,
  }, 5e-11);
});

Deno.test("evaluateMasks evaluates each label of a multi-label mask on its own", () => {
  // Label 1 is test vector 1; label 2 is a separate pair of boxes, identical in both volumes.
  const [a, b] = vectorOne(1, 1);
  paint(a, shape, [7, 7, 7], [10, 10, 10], 2);
  paint(b, shape, [7, 7, 8], [10, 10, 10], 2);
  const result = evaluateMasks(volume(shape, a), volume(shape, b));
  assert.ok(isPerLabel(result));
  assert.deepEqual(Object.keys(result.labels), ["1", "2"]);
  assertMetrics(result.labels["1"], vectorOneMetrics, 5e-11);
  const alone = (value: number, data: VoxelArray) => data.map((x) => (x === value ? 1 : 0));
  assertMetrics(
    result.labels["2"],
    evaluateBinary(alone(2, a) as Uint8Array, alone(2, b) as Uint8Array, shape),
  );
  assert.ok(result.labels["2"].dice > 0.6 && result.labels["2"].dice < 1);
});

Deno.test("empty masks: NaN when both are empty, Dice 0 and the grid diagonal as distance penalty when one is", () => {
  const [a, b] = vectorOne(1, 1);
  const empty = new Uint8Array(1000);
  const diagonal = Math.hypot(10, 10, 10);
  const missed = { dice: 0, jaccard: 0, hd95: diagonal, asd: diagonal };
  assert.deepEqual(evaluateMasks(volume(shape, empty), volume(shape, b)), missed);
  assert.deepEqual(evaluateMasks(volume(shape, a), volume(shape, empty)), missed);
  const none = evaluateMasks(volume(shape, empty), volume(shape, empty)) as MaskMetrics;
  assert.ok(Object.values(none).every(Number.isNaN), "nothing to score is NaN, never a best score");
  // The penalty is in the distance unit: millimetres with header spacing.
  const mm = evaluateMasks(volume(shape, empty, [2, 2, 3]), volume(shape, b, [2, 2, 3]), {
    spacing: "header",
  }) as MaskMetrics;
  assert.equal(mm.hd95, Math.hypot(20, 20, 30));
  // The lineage's convention on request: zeros, whatever is empty.
  const zeros = { dice: 0, jaccard: 0, hd95: 0, asd: 0 };
  const lineage = { emptyMasks: "lineage" } as const;
  assert.deepEqual(evaluateMasks(volume(shape, empty), volume(shape, b), lineage), zeros);
  assert.deepEqual(evaluateMasks(volume(shape, empty), volume(shape, empty), lineage), zeros);
  // A label missing from the prediction of a multi-label case is penalised for that label only.
  paint(b, shape, [8, 8, 8], [10, 10, 10], 2);
  const result = evaluateMasks(volume(shape, a), volume(shape, b));
  assert.ok(isPerLabel(result));
  assert.deepEqual(result.labels["2"], missed);
  assertMetrics(
    result.labels["1"],
    evaluateBinary(a as Uint8Array, vectorOne(1, 1)[1] as Uint8Array, shape),
  );
});

Deno.test("evaluateMasks names both files when the grids disagree", () => {
  const pred = volume([10, 10, 9], new Uint8Array(900), [1, 1, 1], "pred.nii.gz");
  const label = volume(shape, new Uint8Array(1000), [1, 1, 1], "case.h5#label");
  assert.throws(
    () => evaluateMasks(pred, label),
    (e: unknown) =>
      e instanceof UserError && e.code === "shape_mismatch" &&
      /pred\.nii\.gz has shape 10x10x9 but label case\.h5#label has shape 10x10x10/.test(e.message),
  );
});

Deno.test("evaluateMasks refuses mismatched spacing in millimetres, and non-masks", () => {
  const [a, b] = vectorOne(1, 1);
  const pred = volume(shape, a, [1, 1, 1], "pred.nii.gz");
  const hdf5Label: Volume = {
    ...volume(shape, b, [0.625, 0.625, 0.625]),
    source: { path: "label.h5#label", format: "hdf5" },
  };
  assert.ok(!isPerLabel(evaluateMasks(pred, hdf5Label)), "voxel units ignore the spacing");
  const label = volume(shape, b, [0.625, 0.625, 0.625], "label.nii.gz");
  // Two headers that place the same shape differently are two grids, whatever the unit.
  assert.throws(
    () => evaluateMasks(pred, label),
    (e: unknown) =>
      e instanceof UserError && e.code === "geometry_mismatch" &&
      /pred\.nii\.gz and label label\.nii\.gz have the same shape but different geometry/.test(
        e.message,
      ),
  );
  const shifted = volume(shape, b, [1, 1, 1], "moved.nii.gz");
  shifted.affine = [[1, 0, 0, 5], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
  assert.throws(
    () => evaluateMasks(pred, shifted),
    /origins 0\.00, 0\.00, 0\.00 and 5\.00, 0\.00, 0\.00 mm/,
  );
  assert.throws(
    () => evaluateMasks({ ...pred, channels: 2, data: new Uint8Array(2000) }, label),
    /pred\.nii\.gz has 2 channels/,
  );
  const fractional = Float32Array.from(b, (x) => x * 0.5);
  fractional[0] = 2;
  assert.throws(
    () => evaluateMasks(pred, volume(shape, fractional, [1, 1, 1], "soft.nii.gz")),
    /label soft\.nii\.gz holds the value 0\.5; a mask holds non-negative integer labels/,
  );
  // An image passed as a mask: integer intensities, far more values than any mask has classes.
  const image = Int16Array.from({ length: 1000 }, (_, v) => v % 138);
  assert.throws(
    () => evaluateMasks(volume(shape, image, [1, 1, 1], "scan.nii.gz"), pred),
    (e: unknown) =>
      e instanceof UserError && e.code === "invalid_mask" &&
      /prediction scan\.nii\.gz holds 137 different label values .*is this an image\?/.test(
        e.message,
      ),
  );
  // Even a binary-looking pair is checked: a single non-integer value is no label.
  const soft = Float32Array.from(a, (x) => x * 0.7);
  assert.throws(
    () => evaluateMasks(volume(shape, soft, [1, 1, 1], "p.nii.gz"), pred),
    /p\.nii\.gz holds the value 0\.6999/,
  );
});

Deno.test("evaluateMasks with fixed labels gives those keys even for binary data", () => {
  const [a, b] = vectorOne(1, 1);
  const result = evaluateMasks(volume(shape, a), volume(shape, b), { labels: [1, 2] });
  assert.ok(isPerLabel(result));
  assertMetrics(result.labels["1"], vectorOneMetrics, 5e-11);
  assert.ok(Object.values(result.labels["2"]).every(Number.isNaN), "absent from both: NaN");
});

Deno.test("with header spacing an HDF5 label (no stored spacing) takes the prediction's", () => {
  const [a, b] = vectorOne(1, 1);
  const pred = volume(shape, a, [0.5, 0.5, 0.5], "pred.nii.gz");
  const label: Volume = { ...volume(shape, b), source: { path: "case.h5#label", format: "hdf5" } };
  const mm = evaluateMasks(pred, label, { spacing: "header" }) as MaskMetrics;
  assertMetrics(mm, { ...vectorOneMetrics, hd95: 1, asd: vectorOneMetrics.asd * 0.5 }, 5e-11);
});
