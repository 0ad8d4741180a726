import assert from "node:assert/strict";
import { gzipSync } from "fflate";
import { sharedData } from "../testing/data.ts";
import type { Volume } from "./volume.ts";
import { encodeNifti } from "./nifti_write.ts";
import { decodeVolume, inspectVolumeHeader, readVolume } from "./read.ts";
import { volumeFixtures } from "./testing.ts";

Deno.test("inspectVolumeHeader agrees with a full read for NIfTI-1/-2, gzip and HDF5", async () => {
  for (const name of ["qform_only.nii.gz", "big_endian.nii", "scaled_4d.nii", "tiny.h5#label"]) {
    const path = `${volumeFixtures}${name}`;
    const volume = await readVolume(path);
    const header = await inspectVolumeHeader(Deno.readFileSync(path.split("#")[0]), name);
    assert.deepEqual(header.shape, volume.shape, name);
    assert.equal(header.channels, volume.channels, name);
    assert.equal(header.datatype, volume.source?.datatype, name);
    assert.deepEqual(header.spacing, volume.spacing, name);
    assert.deepEqual(header.affine, volume.affine, name);
    assert.equal(header.format, volume.source?.format, name);
  }
});

Deno.test("inspectVolumeHeader reads only the header: damage deep in the data goes unseen", async () => {
  // 1 MiB of incompressible bytes, so the damage sits far past the inflated header prefix.
  const noisy: Volume = {
    shape: [128, 128, 64],
    channels: 1,
    data: new Uint8Array(128 * 128 * 64).map((_, i) => (i * 2654435761) >>> 24),
    spacing: [1, 1, 1],
    affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
  };
  const packed = gzipSync(encodeNifti(noisy, { gzip: false }), { level: 1 });
  packed[Math.floor(packed.length / 2)] ^= 0xff;
  const header = await inspectVolumeHeader(packed, "upload.nii.gz");
  assert.deepEqual(header.shape, [128, 128, 64]);
  assert.equal(header.dataBytes, 128 * 128 * 64);
  await assert.rejects(
    decodeVolume(packed, "upload.nii.gz"),
    /upload\.nii\.gz: corrupt gzip data/,
  );
});

Deno.test({
  name: "inspectVolumeHeader of a BraTS upload answers without inflating 35 MB",
  ignore: !sharedData,
  fn: async () => {
    const bytes = Deno.readFileSync(`${sharedData}/brats2018/imagesTr/brats_000_0000.nii.gz`);
    const started = performance.now();
    const header = await inspectVolumeHeader(bytes, "brats_000_0000.nii.gz");
    const elapsed = performance.now() - started;
    assert.deepEqual(header.shape, [240, 240, 155]);
    assert.equal(header.datatype, "float32");
    assert.ok(elapsed < 250, `took ${elapsed} ms`);
  },
});
