import assert from "node:assert/strict";
import { UserError } from "../errors.ts";
import type { Affine, Volume, VoxelType } from "./volume.ts";
import { encodeNifti } from "./nifti_write.ts";
import { decodeVolume, readVolume } from "./read.ts";
import { volumeFixtures } from "./testing.ts";
import { VOXEL_ARRAYS } from "./voxel_type.ts";
import { writeVolume } from "./write.ts";

/** A rotated, anisotropic, translated affine with no special structure. */
const obliqueAffine: Affine = [
  [0.8, -0.3, 0.1, -12.5],
  [0.25, 0.9, -0.2, 40],
  [-0.05, 0.15, 2.4, 7.25],
  [0, 0, 0, 1],
];

function volumeOf(type: VoxelType, channels = 1): Volume {
  const shape: [number, number, number] = [4, 3, 5];
  const data = new VOXEL_ARRAYS[type](60 * channels);
  for (let i = 0; i < data.length; i++) data[i] = type.startsWith("float") ? i * 0.37 - 5 : i % 100;
  return { shape, channels, data, spacing: [1, 1, 1], affine: obliqueAffine };
}

Deno.test("a mask written for a NIfTI scan keeps its header geometry (golden header)", async () => {
  const scan = await readVolume(`${volumeFixtures}qform_only.nii.gz`);
  const mask = { ...scan, data: Uint8Array.from(scan.data, (v) => (v > 0 ? 1 : 0)) };
  const bytes = encodeNifti(mask, { datatype: "uint8", gzip: false });
  const golden = Deno.readFileSync(`${volumeFixtures}mask_for_qform_only.header.bin`);
  assert.deepEqual(bytes.subarray(0, 352), golden);
  const back = await decodeVolume(bytes, "mask.nii");
  assert.deepEqual(back.affine, scan.affine);
  assert.deepEqual(back.data, mask.data);
});

Deno.test("every datatype round-trips through .nii.gz with its values and affine", async () => {
  for (const type of Object.keys(VOXEL_ARRAYS) as VoxelType[]) {
    const volume = volumeOf(type, type === "int16" ? 2 : 1);
    const back = await decodeVolume(encodeNifti(volume), `${type}.nii.gz`);
    assert.equal(back.source?.datatype, type);
    assert.deepEqual(back.shape, volume.shape);
    assert.equal(back.channels, volume.channels);
    assert.deepEqual(back.data, volume.data, type);
    back.affine.flat().forEach((v, i) =>
      assert.ok(Math.abs(v - obliqueAffine.flat()[i]) < 1e-5, `${type} affine ${i}`)
    );
  }
});

Deno.test("float data written as uint8 is rounded; a value that does not fit is refused", async () => {
  const probabilities = { ...volumeOf("float32"), data: new Float32Array(60).fill(0.6) };
  const back = await decodeVolume(encodeNifti(probabilities, { datatype: "uint8" }), "m.nii.gz");
  assert.deepEqual(back.data, new Uint8Array(60).fill(1));
  const tooBig = { ...probabilities, data: new Float32Array(60).fill(1) };
  tooBig.source = { path: "big.nii", format: "nifti" };
  tooBig.data[7] = 300;
  assert.throws(
    () => encodeNifti(tooBig, { datatype: "uint8" }),
    (e: Error) => e instanceof UserError && /big\.nii.*300.*index 7.*uint8/.test(e.message),
  );
});

Deno.test("writeVolume writes whole files only and names bad targets", async () => {
  const folder = await Deno.makeTempDir();
  try {
    const volume = volumeOf("int16");
    await writeVolume(`${folder}/plain.nii`, volume);
    await writeVolume(`${folder}/packed.nii.gz`, volume);
    const names = [...Deno.readDirSync(folder)].map((e) => e.name).sort();
    assert.deepEqual(names, ["packed.nii.gz", "plain.nii"]);
    assert.deepEqual((await readVolume(`${folder}/plain.nii`)).data, volume.data);
    assert.deepEqual((await readVolume(`${folder}/packed.nii.gz`)).data, volume.data);
    await assert.rejects(
      writeVolume(`${folder}/missing/out.nii.gz`, volume),
      /missing\/out\.nii\.gz: folder does not exist/,
    );
    await assert.rejects(
      writeVolume(`${folder}/out.png`, volume),
      /out\.png: can write NIfTI \(\.nii, \.nii\.gz\) or a DICOM SEG/,
    );
    assert.equal([...Deno.readDirSync(folder)].length, 2, "no temporary file left behind");
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("the same volume gzips to the same bytes, with no timestamp in the gzip header", () => {
  const volume = volumeOf("uint8");
  const first = encodeNifti(volume);
  // Bytes 4-7 of a gzip member are MTIME; fflate fills them with the current time unless told 0.
  assert.deepEqual(first.subarray(4, 8), new Uint8Array(4));
  assert.deepEqual(encodeNifti(volume), first);
});
