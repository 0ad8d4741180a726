import assert from "node:assert/strict";
import { gzipSync } from "fflate";
import { encodeNifti } from "./nifti_write.ts";
import { decodeVolume, readVolume } from "./read.ts";
import { close, volumeFixtures, voxelSums } from "./testing.ts";

interface Expected {
  shape: [number, number, number];
  channels: number;
  sum: number;
  weighted_sum: number;
  first: number[];
  affine: number[][] | null;
}

const expected: Record<string, Expected> = JSON.parse(
  Deno.readTextFileSync(`${volumeFixtures}expected.json`),
);

async function assertReadsAsNibabel(name: string): Promise<void> {
  const volume = await readVolume(`${volumeFixtures}${name}`);
  const want = expected[name];
  assert.deepEqual(volume.shape, want.shape);
  assert.equal(volume.channels, want.channels);
  assert.deepEqual(Array.from(volume.data.subarray(0, 4)), want.first);
  const { sum, weightedSum } = voxelSums(volume);
  assert.ok(close(sum, want.sum), `sum ${sum} != ${want.sum}`);
  assert.ok(
    close(weightedSum, want.weighted_sum),
    `weighted ${weightedSum} != ${want.weighted_sum}`,
  );
  if (want.affine) {
    volume.affine.flat().forEach((v, i) => assert.ok(close(v, want.affine!.flat()[i], 1e-6)));
  }
}

Deno.test("a qform-only NIfTI gets nibabel's rotated, anisotropic affine", async () => {
  await assertReadsAsNibabel("qform_only.nii.gz");
  const volume = await readVolume(`${volumeFixtures}qform_only.nii.gz`);
  assert.equal(volume.source?.datatype, "int16");
  assert.deepEqual(volume.spacing, [0.5, 0.75, 2]);
});

Deno.test("a big-endian NIfTI is byte-swapped, its flipped sform kept", async () => {
  await assertReadsAsNibabel("big_endian.nii");
});

Deno.test("a 4-D NIfTI-2 reads as two channels with scl_slope/scl_inter applied", async () => {
  await assertReadsAsNibabel("scaled_4d.nii");
  const volume = await readVolume(`${volumeFixtures}scaled_4d.nii`);
  assert.ok(volume.data instanceof Float32Array, "scaled int16 becomes float32");
  assert.equal(volume.source?.datatype, "int16");
});

Deno.test("h5 data is transposed so h5py's a[i, j, k] is voxel (i, j, k)", async () => {
  await assertReadsAsNibabel("tiny.h5#image");
  await assertReadsAsNibabel("tiny.h5#label");
  const image = await readVolume(`${volumeFixtures}tiny.h5`);
  const [x, y] = image.shape;
  const at = (i: number, j: number, k: number): number => image.data[i + j * x + k * x * y];
  assert.equal(at(2, 3, 4), 234.5);
  assert.equal(at(1, 0, 3), 103.5);
  assert.equal(image.source?.path.endsWith("tiny.h5#image"), true);
});

Deno.test("an h5 volume records the spacing it is given, as a scaled identity affine", async () => {
  const label = await readVolume(`${volumeFixtures}tiny.h5#label`, {
    hdf5Spacing: [0.625, 0.625, 0.625],
  });
  assert.deepEqual(label.spacing, [0.625, 0.625, 0.625]);
  assert.deepEqual(label.affine[0], [0.625, 0, 0, 0]);
  assert.ok(label.data instanceof Uint8Array);
});

Deno.test("an upload without a known extension is recognised by its magic bytes", async () => {
  const nifti = await decodeVolume(
    Deno.readFileSync(`${volumeFixtures}qform_only.nii.gz`),
    "upload-1",
  );
  assert.deepEqual(nifti.shape, [4, 3, 2]);
  const h5 = await decodeVolume(Deno.readFileSync(`${volumeFixtures}tiny.h5`), "upload-2#label");
  assert.ok(h5.data instanceof Uint8Array);
  assert.equal(h5.source?.path, "upload-2#label");
});

Deno.test("every integer and float datatype reads as nibabel reads it, extremes included", async () => {
  for (const type of ["uint8", "int8", "uint16", "int32", "uint32", "float64"]) {
    await assertReadsAsNibabel(`dtype_${type}.nii`);
    const volume = await readVolume(`${volumeFixtures}dtype_${type}.nii`);
    assert.equal(volume.source?.datatype, type);
    assert.equal(volume.data.constructor.name.toLowerCase(), `${type}array`);
  }
});

Deno.test("multi-member gzip (bgzip/pigz style) and zero padding after it read whole", async () => {
  const scan = await readVolume(`${volumeFixtures}big_endian.nii`);
  const plain = encodeNifti(scan, { gzip: false });
  const members = [
    gzipSync(plain.subarray(0, 400)),
    gzipSync(plain.subarray(400)),
    new Uint8Array(64),
  ];
  const joined = new Uint8Array(members.reduce((n, m) => n + m.length, 0));
  members.reduce((at, m) => (joined.set(m, at), at + m.length), 0);
  const read = await decodeVolume(joined, "split.nii.gz");
  assert.deepEqual(read.data, scan.data);
  assert.deepEqual(read.affine, scan.affine);
});
