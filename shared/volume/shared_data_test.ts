/**
 * Every volume in ../shared/data reads with the shape, values, axis order and affine that
 * nibabel/h5py give (reference: tests/fixtures/volume/make_shared_data_reference.py).
 */
import assert from "node:assert/strict";
import { sharedData } from "../testing/data.ts";
import { readVolume } from "./read.ts";
import { close, volumeFixtures, voxelSums } from "./testing.ts";

interface Reference {
  shape: [number, number, number];
  channels: number;
  dtype: string;
  sum: number;
  weighted_sum: number;
  affine?: number[][];
}

const reference: Record<string, Reference> = JSON.parse(
  Deno.readTextFileSync(`${volumeFixtures}shared_data_reference.json`),
);

async function checkAll(prefix: string, expectedCount: number): Promise<void> {
  const names = Object.keys(reference).filter((name) => name.startsWith(prefix));
  assert.equal(names.length, expectedCount);
  for (const name of names) {
    const expected = reference[name];
    const volume = await readVolume(`${sharedData}/${name}`);
    assert.deepEqual(volume.shape, expected.shape, name);
    assert.equal(volume.channels, expected.channels, name);
    assert.equal(volume.source?.datatype, expected.dtype, name);
    const { sum, weightedSum } = voxelSums(volume);
    assert.ok(close(sum, expected.sum), `${name}: sum ${sum} != ${expected.sum}`);
    assert.ok(
      close(weightedSum, expected.weighted_sum),
      `${name}: weighted sum ${weightedSum} != ${expected.weighted_sum}`,
    );
    if (expected.affine) assert.deepEqual(volume.affine, expected.affine, name);
  }
}

Deno.test({
  name: "shared data: all 348 hippocampus images and labels read as nibabel reads them",
  ignore: !sharedData,
  fn: () => checkAll("hippocampus/", 348),
});

Deno.test({
  name: "shared data: all 18 BraTS 240x240x155 volumes read as nibabel reads them",
  ignore: !sharedData,
  fn: () => checkAll("brats2018/", 18),
});

Deno.test({
  name: "shared data: all 16 LA h5 files (image and label) read as h5py indexes them",
  ignore: !sharedData,
  fn: () => checkAll("la2018/", 32),
});
