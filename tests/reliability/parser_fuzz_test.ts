/**
 * Parser fuzzing (issue #15): seeded mutations of real NIfTI, gzip and HDF5 files (bit flips,
 * overwritten header bytes, truncation, appended garbage) through the volume decoder. Every case
 * must decode or fail with a UserError naming the file (no crash, no other exception), and the
 * process must not grow without bound. `LLMSEG_FUZZ_CASES` raises the per-file count (CI: 60).
 */
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { Rng } from "../../shared/random.ts";
import { UserError } from "../../shared/errors.ts";
import { decodeVolume } from "../../shared/volume/mod.ts";

const cases = Number(Deno.env.get("LLMSEG_FUZZ_CASES") ?? 60);
const fixtures = new URL("../fixtures/volume/", import.meta.url);

function mutate(bytes: Uint8Array, rng: Rng): Uint8Array {
  const out = bytes.slice();
  switch (Math.floor(rng.uniform() * 4)) {
    case 0: // bit flips anywhere
      for (let k = 0; k < 1 + Math.floor(rng.uniform() * 8); k++) {
        out[Math.floor(rng.uniform() * out.length)] ^= 1 << Math.floor(rng.uniform() * 8);
      }
      return out;
    case 1: // random bytes in the first 352 (the NIfTI header, the gzip/HDF5 superblock)
      for (let k = 0; k < 4; k++) {
        out[Math.floor(rng.uniform() * Math.min(352, out.length))] = Math.floor(
          rng.uniform() * 256,
        );
      }
      return out;
    case 2: // truncation
      return out.subarray(0, Math.floor(rng.uniform() * out.length));
    default: // appended garbage
      return new Uint8Array([...out, ...Array.from({ length: 64 }, () => rng.uniform() * 256)]);
  }
}

for (
  const [name, file] of [
    ["dtype_float64.nii", "dtype_float64.nii"],
    ["big_endian.nii", "big_endian.nii"],
    ["scaled_4d.nii", "scaled_4d.nii"],
    ["scan.nii.gz", "dtype_int8.nii"], // gzipped here: fuzzes the gzip layer
    ["tiny.h5#image", "tiny.h5"],
  ] as const
) {
  Deno.test(`parser fuzz: ${name}, ${cases} mutations decode or fail with a UserError`, async () => {
    let bytes: Uint8Array = await Deno.readFile(new URL(file, fixtures));
    if (name.endsWith(".gz")) bytes = zlib.gzipSync(bytes);
    const rng = new Rng(15);
    const rssBefore = Deno.memoryUsage().rss;
    let refused = 0;
    for (let i = 0; i < cases; i++) {
      const input = mutate(bytes, rng);
      try {
        await decodeVolume(input, name);
      } catch (error) {
        if (!(error instanceof UserError)) {
          assert.fail(`case ${i} of ${name}: ${(error as Error).stack ?? error}`);
        }
        refused++;
      }
    }
    assert.ok(refused > 0, "the mutations reached the error paths");
    const grownMb = (Deno.memoryUsage().rss - rssBefore) / 1024 ** 2;
    assert.ok(grownMb < 512, `memory grew by ${grownMb.toFixed(0)} MB`);
  });
}
