import assert from "node:assert/strict";
import { readVolume, spacingAffine, type Volume, writeVolume } from "@llmseg/shared";
import { sharedData, sharedDataPath } from "../../../shared/testing/data.ts";
import { llmsegInProcess as llmseg, type LlmsegRun } from "../testing.ts";

type Shape3 = Volume["shape"];

/** Runs `llmseg evaluate --pred <pred> --label <label> <flags>` in this process. */
function evaluatePair(pred: string, label: string, ...flags: string[]): Promise<LlmsegRun> {
  return llmseg("evaluate", "--pred", pred, "--label", label, ...flags);
}

/** A uint8 mask with `value` in each half-open box [lo, hi). */
function mask(
  shape: Shape3,
  boxes: [Shape3, Shape3, number][],
  spacing: Shape3 = [1, 1, 1],
): Volume {
  const [X, Y] = shape;
  const data = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (const [lo, hi, value] of boxes) {
    for (let k = lo[2]; k < hi[2]; k++) {
      for (let j = lo[1]; j < hi[1]; j++) {
        for (let i = lo[0]; i < hi[0]; i++) data[i + X * (j + Y * k)] = value;
      }
    }
  }
  return { shape, channels: 1, data, spacing, affine: spacingAffine(spacing) };
}

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "llmseg-evaluate-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const cube: Shape3 = [10, 10, 10];
// docs/METHOD.md section 7, test vector 1: pred [2,6)³, label [3,8)×[2,6)×[2,7).
const vectorOne = { dice: 0.5853658537, jaccard: 0.4137931034, hd95: 2, asd: 0.4285714286 };

function near(actual: Record<string, number>, expected: Record<string, number>): void {
  for (const [key, value] of Object.entries(expected)) {
    assert.ok(Math.abs(actual[key] - value) < 1e-9, `${key}: ${actual[key]} vs ${value}`);
  }
}

Deno.test("evaluate --json prints the four metrics of one pair, in voxels or in mm", async () => {
  await withTempDir(async (dir) => {
    const spacing: Shape3 = [2, 2, 2];
    await writeVolume(`${dir}/pred.nii.gz`, mask(cube, [[[2, 2, 2], [6, 6, 6], 1]], spacing));
    await writeVolume(`${dir}/label.nii.gz`, mask(cube, [[[3, 2, 2], [8, 6, 7], 1]], spacing));
    const voxels = await evaluatePair(`${dir}/pred.nii.gz`, `${dir}/label.nii.gz`, "--json");
    assert.equal(voxels.code, 0, voxels.stderr);
    const result = JSON.parse(voxels.stdout);
    assert.deepEqual(Object.keys(result), ["dice", "jaccard", "hd95", "asd"]);
    near(result, vectorOne);
    const mm = await evaluatePair(
      `${dir}/pred.nii.gz`,
      `${dir}/label.nii.gz`,
      "--spacing",
      "header",
      "--json",
    );
    near(JSON.parse(mm.stdout), { ...vectorOne, hd95: 4, asd: 2 * vectorOne.asd });
    const text = await evaluatePair(`${dir}/pred.nii.gz`, `${dir}/label.nii.gz`);
    assert.match(text.stdout, /^dice\s+0\.5854$/m);
    assert.match(text.stdout, /^hd95\s+2\.0000 voxels$/m);
  });
});

Deno.test("evaluate reports a multi-label pair per label", async () => {
  await withTempDir(async (dir) => {
    await writeVolume(
      `${dir}/pred.nii.gz`,
      mask(cube, [[[2, 2, 2], [6, 6, 6], 1], [[7, 7, 7], [10, 10, 10], 2]]),
    );
    await writeVolume(
      `${dir}/label.nii.gz`,
      mask(cube, [[[3, 2, 2], [8, 6, 7], 1], [[7, 7, 7], [10, 10, 10], 2]]),
    );
    const run = await evaluatePair(`${dir}/pred.nii.gz`, `${dir}/label.nii.gz`, "--json");
    const result = JSON.parse(run.stdout);
    assert.deepEqual(Object.keys(result.labels), ["1", "2"]);
    near(result.labels["1"], vectorOne);
    near(result.labels["2"], { dice: 1, jaccard: 1, hd95: 0, asd: 0 });
  });
});

Deno.test("evaluate --pred-dir prints a per-case table with mean and std, and writes CSV", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/pred`);
    await Deno.mkdir(`${dir}/label`);
    const label = mask(cube, [[[3, 2, 2], [8, 6, 7], 1]]);
    // Case a is test vector 1; case b is perfect; case c is an empty prediction (all zeros).
    await writeVolume(`${dir}/pred/a.nii.gz`, mask(cube, [[[2, 2, 2], [6, 6, 6], 1]]));
    await writeVolume(`${dir}/pred/b.nii.gz`, label);
    await writeVolume(`${dir}/pred/c.nii`, mask(cube, []));
    for (const id of ["a", "b", "c", "unused"]) {
      await writeVolume(`${dir}/label/${id}.nii.gz`, label);
    }
    const folders = ["--pred-dir", `${dir}/pred`, "--label-dir", `${dir}/label`];
    // nnU-Net's rule: a reference without a prediction fails, it is not silently dropped.
    const missing = await llmseg("evaluate", ...folders);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /1 of 4 reference case\(s\) .* have no prediction: unused/);
    const run = await llmseg("evaluate", ...folders, "--allow-missing", "--csv", `${dir}/out.csv`);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /1 reference case\(s\) have no prediction and were not scored .*: unused/,
    );
    const lines = run.stdout.split("\n");
    assert.match(lines[0], /^case\s+dice\s+jaccard\s+hd95 \(voxels\)\s+asd \(voxels\)$/);
    assert.deepEqual(lines.slice(1, 6).map((l) => l.split(/\s+/)[0]), [
      "a",
      "b",
      "c",
      "mean",
      "std",
    ]);
    assert.equal(lines[6], "3 cases");
    assert.match(
      lines[7],
      /^empty masks: .*one of them empty: Dice 0, Jaccard 0, 95HD = ASD = the grid's diagonal/,
    );
    const csv = (await Deno.readTextFile(`${dir}/out.csv`)).trim().split("\n").map((l) =>
      l.split(",")
    );
    assert.deepEqual(csv[0], ["case", "dice", "jaccard", "hd95", "asd"]);
    const dice = csv.slice(1, 4).map((row) => Number(row[1]));
    near({ a: dice[0], b: dice[1], c: dice[2] }, { a: vectorOne.dice, b: 1, c: 0 });
    // The empty prediction's distances are the penalty (the 10³ grid's diagonal), never 0.
    assert.equal(Number(csv[3][3]), Math.hypot(10, 10, 10));
    const summary = JSON.parse(await Deno.readTextFile(`${dir}/pred/summary.json`));
    assert.deepEqual(summary.missingPredictions, ["unused"]);
    assert.deepEqual(summary.cases.map((c: { case: string }) => c.case), ["a", "b", "c"]);
    assert.equal(summary.cases[2].classes["1"].predictionVoxels, 0);
    assert.equal(summary.cases[2].classes["1"].referenceVoxels, 5 * 4 * 5);
    assert.equal(summary.mean["1"].cases, 3);
    near({ dice: summary.foregroundMean.dice }, { dice: (vectorOne.dice + 1) / 3 });
    const mean = dice.reduce((s, x) => s + x, 0) / 3;
    assert.equal(csv[4][0], "mean");
    near({ mean: Number(csv[4][1]) }, { mean });
    const std = Math.sqrt(dice.reduce((s, x) => s + (x - mean) ** 2, 0) / 3);
    near({ std: Number(csv[5][1]) }, { std });
  });
});

Deno.test("evaluate names the files and exits 2 on user mistakes", async () => {
  await withTempDir(async (dir) => {
    await writeVolume(`${dir}/small.nii.gz`, mask([10, 10, 9], []));
    await writeVolume(`${dir}/label.nii.gz`, mask(cube, []));
    const mismatch = await evaluatePair(`${dir}/small.nii.gz`, `${dir}/label.nii.gz`);
    assert.equal(mismatch.code, 2);
    assert.match(
      mismatch.stderr,
      /small\.nii\.gz has shape 10x10x9 but label .*label\.nii\.gz has shape 10x10x10/,
    );
    assert.doesNotMatch(mismatch.stderr, /\n\s+at /, "no stack trace");
    const spacing = await llmseg("evaluate", "--pred", "a", "--label", "b", "--spacing", "mm");
    assert.equal(spacing.code, 2);
    assert.match(spacing.stderr, /--spacing must be voxel or header, not 'mm'/);
    const both = await llmseg("evaluate", "--pred", "a", "--pred-dir", "b");
    assert.match(both.stderr, /either --pred and --label, or --pred-dir and --label-dir/);
    await Deno.mkdir(`${dir}/preds`);
    await writeVolume(`${dir}/preds/x.nii.gz`, mask(cube, []));
    const orphan = await llmseg("evaluate", "--pred-dir", `${dir}/preds`, "--label-dir", dir);
    assert.equal(orphan.code, 2);
    assert.match(orphan.stderr, /no reference for case x/);
    const shifted = mask(cube, []);
    shifted.affine = [[1, 0, 0, -3], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
    await writeVolume(`${dir}/shifted.nii.gz`, shifted);
    const moved = await evaluatePair(`${dir}/shifted.nii.gz`, `${dir}/label.nii.gz`);
    assert.equal(moved.code, 2);
    assert.match(moved.stderr, /same shape but different geometry/);
    const missing = await evaluatePair(`${dir}/none.nii.gz`, `${dir}/label.nii.gz`);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /none\.nii\.gz/);
  });
});

Deno.test({
  name: "a NIfTI prediction lines up with the lineage's h5 label ({id}/mri_norm2.h5)",
  ignore: !sharedData,
  async fn() {
    await withTempDir(async (dir) => {
      const id = "06SR5RBREL16DQ6M8LWS";
      const label = await readVolume(sharedDataPath(`la2018/${id}/mri_norm2.h5#label`));
      await writeVolume(`${dir}/${id}.nii.gz`, label, { datatype: "uint8" });
      const run = await llmseg(
        "evaluate",
        "--pred-dir",
        dir,
        "--label-dir",
        sharedDataPath("la2018"),
        "--allow-missing",
        "--summary",
        `${dir}/../la-summary-${id}.json`,
        "--json",
      );
      await Deno.remove(`${dir}/../la-summary-${id}.json`);
      assert.equal(run.code, 0, run.stderr);
      const result = JSON.parse(run.stdout);
      assert.deepEqual(result.cases[id], { dice: 1, jaccard: 1, hd95: 0, asd: 0 });
      assert.deepEqual(Object.keys(result.cases), [id]);
      assert.equal(result.missingPredictions.length, 15, "the other 15 LA cases are listed");
    });
  },
});

Deno.test("evaluate: an empty prediction is penalised, an empty pair is NaN, never the best score", async () => {
  await withTempDir(async (dir) => {
    await writeVolume(`${dir}/empty.nii.gz`, mask(cube, []));
    await writeVolume(`${dir}/label.nii.gz`, mask(cube, [[[3, 2, 2], [8, 6, 7], 1]]));
    const missed = await evaluatePair(`${dir}/empty.nii.gz`, `${dir}/label.nii.gz`, "--json");
    assert.equal(missed.code, 0, missed.stderr);
    const diagonal = Math.hypot(10, 10, 10);
    assert.deepEqual(JSON.parse(missed.stdout), {
      dice: 0,
      jaccard: 0,
      hd95: diagonal,
      asd: diagonal,
    });
    const text = await evaluatePair(`${dir}/empty.nii.gz`, `${dir}/label.nii.gz`);
    assert.match(text.stdout, /^hd95\s+17\.3205 voxels$/m);
    assert.match(text.stdout, /^empty masks: /m);
    const nothing = await evaluatePair(`${dir}/empty.nii.gz`, `${dir}/empty.nii.gz`, "--json");
    assert.deepEqual(JSON.parse(nothing.stdout), {
      dice: null,
      jaccard: null,
      hd95: null,
      asd: null,
    });
    const lineage = await evaluatePair(
      `${dir}/empty.nii.gz`,
      `${dir}/label.nii.gz`,
      "--empty-masks",
      "lineage",
      "--json",
    );
    assert.deepEqual(JSON.parse(lineage.stdout), { dice: 0, jaccard: 0, hd95: 0, asd: 0 });
  });
});

Deno.test({
  name: "evaluate refuses a hippocampus image passed as --pred (not a mask), naming it",
  ignore: !sharedData,
  async fn() {
    const run = await evaluatePair(
      sharedDataPath("hippocampus/imagesTr/hippocampus_001.nii.gz"),
      sharedDataPath("hippocampus/labelsTr/hippocampus_001.nii.gz"),
    );
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      /prediction .*imagesTr\/hippocampus_001\.nii\.gz holds .*(different label values|the value)/,
    );
    const multi = await evaluatePair(
      sharedDataPath("hippocampus/labelsTr/hippocampus_001.nii.gz"),
      sharedDataPath("hippocampus/labelsTr/hippocampus_001.nii.gz"),
      "--json",
    );
    assert.equal(multi.code, 0, multi.stderr);
    const labels = JSON.parse(multi.stdout).labels;
    assert.deepEqual(Object.keys(labels), ["1", "2"]);
    assert.deepEqual(labels["2"], { dice: 1, jaccard: 1, hd95: 0, asd: 0 });
  },
});
