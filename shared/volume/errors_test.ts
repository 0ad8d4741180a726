/** Every kind of bad input is refused with a UserError that names the file and the problem. */
import assert from "node:assert/strict";
import { gzipSync } from "fflate";
import { UserError } from "../errors.ts";
import type { Volume } from "./volume.ts";
import { encodeNifti } from "./nifti_write.ts";
import { decodeVolume, inspectVolumeHeader, readVolume } from "./read.ts";
import { volumeFixtures } from "./testing.ts";

const small: Volume = {
  shape: [4, 3, 5],
  channels: 1,
  data: new Int16Array(60).map((_, i) => i),
  spacing: [1, 1, 1],
  affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
};

/** A valid plain .nii of {@link small}, with its header patched by `edit`. */
function patchedNifti(edit: (header: DataView) => void): Uint8Array {
  const bytes = encodeNifti(small, { gzip: false });
  edit(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return bytes;
}

async function assertRefused(
  attempt: Promise<unknown>,
  file: string,
  problem: RegExp,
): Promise<void> {
  await assert.rejects(attempt, (error: Error) => {
    assert.ok(error instanceof UserError, `expected a UserError, got ${error.stack}`);
    assert.equal(error.code, "invalid_volume");
    assert.ok(error.message.startsWith(`${file}: `), error.message);
    assert.match(error.message, problem);
    return true;
  });
}

Deno.test("wrong magic is refused for NIfTI, gzip content and HDF5", async () => {
  const text = new TextEncoder().encode("this is not a scan at all, just some text".repeat(20));
  await assertRefused(
    decodeVolume(text, "notes.nii"),
    "notes.nii",
    /not a NIfTI file \(wrong magic/,
  );
  await assertRefused(
    decodeVolume(gzipSync(text), "notes.nii.gz"),
    "notes.nii.gz",
    /not a NIfTI file \(wrong magic/,
  );
  const badMagic = patchedNifti((h) => h.setUint8(344, "x".charCodeAt(0)));
  await assertRefused(decodeVolume(badMagic, "m.nii"), "m.nii", /wrong magic "x\+1"/);
  await assertRefused(decodeVolume(text, "case.h5"), "case.h5", /not an HDF5 file/);
  await assertRefused(decodeVolume(text, "scan.png"), "scan.png", /unsupported file type/);
});

Deno.test("truncated data is refused, plain and gzipped", async () => {
  const whole = encodeNifti(small, { gzip: false });
  await assertRefused(
    decodeVolume(whole.subarray(0, whole.length - 10), "cut.nii"),
    "cut.nii",
    /truncated or inconsistent: header declares \[4, 3, 5\] int16 = 120 B .* only 462 bytes/,
  );
  await assertRefused(
    decodeVolume(whole.subarray(0, 200), "cut.nii"),
    "cut.nii",
    /truncated NIfTI-1 header/,
  );
  const packed = gzipSync(whole);
  await assertRefused(
    decodeVolume(packed.subarray(0, packed.length - 30), "cut.nii.gz"),
    "cut.nii.gz",
    /truncated gzip data/,
  );
});

Deno.test("dims that disagree with the byte count are refused", async () => {
  const wider = patchedNifti((h) => h.setInt16(42, 40, true)); // dim[1] 4 -> 40
  await assertRefused(
    decodeVolume(wider, "wide.nii"),
    "wide.nii",
    /header declares \[40, 3, 5\] int16 = 1.2 KiB .* only 472 bytes/,
  );
  await assertRefused(inspectVolumeHeader(wider, "wide.nii"), "wide.nii", /declares 1552 bytes/);
  await assertRefused(
    inspectVolumeHeader(gzipSync(wider), "wide.nii.gz"),
    "wide.nii.gz",
    /gzip stream holds 472/,
  );
});

Deno.test("absurd or invalid dims are refused before anything is allocated", async () => {
  const huge = patchedNifti((h) => [1, 2, 3].forEach((d) => h.setInt16(40 + 2 * d, 30000, true)));
  await assertRefused(
    decodeVolume(huge, "huge.nii"),
    "huge.nii",
    /absurd dimensions \[30000, 30000, 30000, 1\]/,
  );
  await assertRefused(inspectVolumeHeader(huge, "huge.nii"), "huge.nii", /absurd dimensions/);
  const negative = patchedNifti((h) => h.setInt16(44, -3, true));
  await assertRefused(
    decodeVolume(negative, "neg.nii"),
    "neg.nii",
    /invalid dimensions \[4, -3, 5, 1\]/,
  );
  const rank9 = patchedNifti((h) => h.setInt16(40, 9, true));
  await assertRefused(decodeVolume(rank9, "r.nii"), "r.nii", /invalid dim\[0\] = 9/);
  const fiveD = patchedNifti((h) => {
    h.setInt16(40, 5, true);
    h.setInt16(48, 1, true);
    h.setInt16(50, 2, true);
  });
  await assertRefused(decodeVolume(fiveD, "5d.nii"), "5d.nii", /unsupported 5-D NIfTI/);
});

Deno.test("unsupported datatypes are refused by name", async () => {
  const int64 = patchedNifti((h) => h.setInt16(70, 1024, true));
  await assertRefused(
    decodeVolume(int64, "i64.nii"),
    "i64.nii",
    /unsupported NIfTI datatype 1024 \(8-Byte Signed Integer\); supported: uint8/,
  );
  const complex = patchedNifti((h) => h.setInt16(70, 32, true));
  await assertRefused(decodeVolume(complex, "c.nii"), "c.nii", /unsupported NIfTI datatype 32/);
});

Deno.test("a gzip bomb stops at the size limit instead of inflating", async () => {
  // 16 MiB of zeros behind a header that declares them: about 16 KiB compressed.
  const zeros: Volume = { ...small, shape: [256, 256, 256], data: new Uint8Array(256 ** 3) };
  const bomb = encodeNifti(zeros);
  assert.ok(bomb.length < 64 * 1024);
  const limits = { maxBytes: 1024 ** 2 };
  await assertRefused(
    decodeVolume(bomb, "bomb.nii.gz", { limits }),
    "bomb.nii.gz",
    /absurd dimensions \[256, 256, 256, 1\]: 16777216 voxels, 16 MiB \(limit .* 1 MiB\)/,
  );
  await assertRefused(
    inspectVolumeHeader(bomb, "bomb.nii.gz", { limits }),
    "bomb.nii.gz",
    /16 MiB/,
  );
  // A small honest header followed by an 8 MiB tail: inflating stops 1 MiB past the declared size.
  const tail = new Uint8Array(352 + 120 + 8 * 1024 ** 2);
  tail.set(encodeNifti(small, { gzip: false }));
  await assertRefused(
    decodeVolume(gzipSync(tail), "tail.nii.gz", { limits }),
    "tail.nii.gz",
    /gzip data inflates to more than the 472 B its header declares; refused/,
  );
});

Deno.test("a missing or unusable HDF5 dataset is refused, naming what the file has", async () => {
  const file = `${volumeFixtures}tiny.h5`;
  await assertRefused(
    readVolume(`${file}#mask`),
    file,
    /missing HDF5 dataset 'mask' \(has: image, label, meta\)/,
  );
  await assertRefused(readVolume(`${file}#meta`), file, /'meta' is not a dataset/);
  const bytes = Deno.readFileSync(file);
  await assertRefused(
    decodeVolume(bytes.subarray(0, 3000), "cut.h5"),
    "cut.h5",
    /corrupt or truncated HDF5/,
  );
  await assertRefused(
    readVolume(`${volumeFixtures}absent.nii.gz`),
    `${volumeFixtures}absent.nii.gz`,
    /file not found/,
  );
});

Deno.test("references that cannot name a volume are refused", async () => {
  const folder = volumeFixtures.replace(/\/$/, "");
  await assertRefused(readVolume(folder), folder, /a folder without DICOM files/);
  const nifti = `${volumeFixtures}big_endian.nii#label`;
  await assertRefused(readVolume(nifti), nifti, /'#dataset' fragment applies only to HDF5/);
  await assertRefused(
    readVolume(`${volumeFixtures}tiny.h5#`),
    `${volumeFixtures}tiny.h5#`,
    /empty/,
  );
});

Deno.test("a file far over the size limit is refused before it is read", async () => {
  const folder = await Deno.makeTempDir();
  try {
    const path = `${folder}/big.nii`;
    await Deno.writeFile(path, new Uint8Array(3 * 1024 ** 2));
    await assertRefused(
      readVolume(path, { limits: { maxBytes: 1024 } }),
      path,
      /file is 3 MiB, over the limit of 1 MiB/,
    );
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});
