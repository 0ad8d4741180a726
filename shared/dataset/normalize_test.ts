import assert from "node:assert/strict";
import { UserError } from "../errors.ts";
import { Rng } from "../random.ts";
import { sharedData, sharedDataPath } from "../testing/data.ts";
import { readVolume, spacingAffine } from "../volume/mod.ts";
import { TASK_NORMALIZATION } from "./description.ts";
import type { Volume, VoxelArray } from "../volume/volume.ts";
import { normalizeImage, percentileInPlace, prepareLabel } from "./normalize.ts";

function volume(data: VoxelArray, channels = 1): Volume {
  const n = data.length / channels;
  return { shape: [n, 1, 1], channels, data, spacing: [1, 1, 1], affine: spacingAffine([1, 1, 1]) };
}

function meanStd(values: ArrayLike<number>): [number, number] {
  const list = Array.from(values);
  const mean = list.reduce((s, x) => s + x, 0) / list.length;
  return [mean, Math.sqrt(list.reduce((s, x) => s + (x - mean) ** 2, 0) / list.length)];
}

function sortedPercentile(values: number[], q: number): number {
  const v = [...values].sort((a, b) => a - b);
  const h = (v.length - 1) * q / 100;
  const i = Math.floor(h);
  return i + 1 < v.length ? v[i] + (v[i + 1] - v[i]) * (h - i) : v[i];
}

Deno.test("percentileInPlace matches a sorted linear percentile, ties and all", () => {
  const rng = new Rng(5);
  for (const n of [1, 2, 3, 10, 101, 1000]) {
    const values = Array.from({ length: n }, () => Math.fround(rng.integer(0, 20) * 0.5));
    for (const q of [0, 0.5, 37.5, 50, 95, 99.9, 100]) {
      const got = percentileInPlace(Float32Array.from(values), q);
      const want = sortedPercentile(values, q);
      assert.ok(Math.abs(got - want) < 1e-9, `n ${n} q ${q}: ${got} vs ${want}`);
    }
  }
});

Deno.test("z-score gives each channel mean 0 and std 1 on its own", () => {
  const rng = new Rng(1);
  const data = Float32Array.from(
    { length: 2000 },
    (_, v) => (v < 1000 ? 5 : -40) + rng.normal() * (v < 1000 ? 2 : 9),
  );
  const before = data.slice();
  const out = normalizeImage(volume(data, 2), { zscore: "all" });
  for (const channel of [out.data.subarray(0, 1000), out.data.subarray(1000)]) {
    const [mean, std] = meanStd(channel);
    assert.ok(Math.abs(mean) < 1e-5 && Math.abs(std - 1) < 1e-5, `mean ${mean}, std ${std}`);
  }
  assert.deepEqual(data, before, "the input volume is left as it was");
});

Deno.test("nonzero z-score uses the brain only and keeps the background at 0", () => {
  const data = new Float32Array([0, 0, 0, 2, 4, 6, 0, 8]);
  const out = normalizeImage(volume(data), { zscore: "nonzero" }).data;
  assert.deepEqual([out[0], out[1], out[2], out[6]], [0, 0, 0, 0]);
  const [mean, std] = meanStd([out[3], out[4], out[5], out[7]]);
  assert.ok(Math.abs(mean) < 1e-6 && Math.abs(std - 1) < 1e-6);
  assert.ok(out[3] < out[4] && out[4] < out[5] && out[5] < out[7]);
});

Deno.test("CT window clips and rescales to [0, 1] before the z-score", () => {
  const hu = new Float32Array([-1000, -125, 75, 275, 3000]);
  const windowed = normalizeImage(volume(hu), { window: [-125, 275], zscore: "none" }).data;
  assert.deepEqual(Array.from(windowed), [0, 0, 0.5, 1, 1]);
});

Deno.test("percentile clip bounds the intensities at the chosen percentiles", () => {
  const values = Float32Array.from({ length: 1001 }, (_, v) => v);
  values[1000] = 1e6; // one hot voxel, as in a BraTS scan
  const out = normalizeImage(volume(values), { clipPercentiles: [0, 99.9], zscore: "none" }).data;
  assert.equal(Math.max(...out), sortedPercentile(Array.from(values), 99.9));
  assert.equal(out[10], 10);
});

Deno.test("prepareLabel keeps classes, binarises on request, refuses non-classes", () => {
  const label = {
    ...volume(new Float32Array([0, 1, 2, 2, 0])),
    source: { path: "l.nii.gz", format: "nifti" as const },
  };
  assert.deepEqual(Array.from(prepareLabel(label, false).data), [0, 1, 2, 2, 0]);
  assert.deepEqual(Array.from(prepareLabel(label, true).data), [0, 1, 1, 1, 0]);
  assert.ok(prepareLabel(label, false).data instanceof Uint8Array);
  const soft = { ...label, data: new Float32Array([0, 0.4]) };
  assert.throws(
    () => prepareLabel(soft, false),
    (e: unknown) => e instanceof UserError && /l\.nii\.gz: value 0\.4/.test(e.message),
  );
});

Deno.test({
  name: "BraTS normalisation of a real FLAIR: brain z-scored, background stays 0",
  ignore: !sharedData,
  async fn() {
    const flair = await readVolume(sharedDataPath("brats2018/imagesTr/brats_000_0000.nii.gz"));
    const out = normalizeImage(flair, TASK_NORMALIZATION.brats).data;
    // nibabel: (get_fdata() != 0).sum() == 1506502 for this file.
    let brain = 0, sum = 0, sumSquares = 0, backgroundNonZero = 0;
    for (let v = 0; v < out.length; v++) {
      if (flair.data[v] === 0) {
        if (out[v] !== 0) backgroundNonZero++;
        continue;
      }
      brain++;
      sum += out[v];
      sumSquares += out[v] * out[v];
    }
    assert.equal(brain, 1506502);
    assert.equal(backgroundNonZero, 0);
    const mean = sum / brain;
    assert.ok(Math.abs(mean) < 1e-4, `brain mean ${mean}`);
    assert.ok(Math.abs(Math.sqrt(sumSquares / brain - mean * mean) - 1) < 1e-4);
  },
});
