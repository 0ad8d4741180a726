import assert from "node:assert/strict";
import { volumeFixtures } from "../../../shared/volume/testing.ts";
import { llmseg } from "../testing.ts";

Deno.test("llmseg info --json reports a 4-D scaled NIfTI-2 as nibabel reads it", async () => {
  const { code, stdout } = await llmseg("info", `${volumeFixtures}scaled_4d.nii`, "--json");
  assert.equal(code, 0);
  const info = JSON.parse(stdout);
  assert.deepEqual(info.shape, [3, 4, 2]);
  assert.equal(info.channels, 2);
  assert.equal(info.datatype, "int16");
  assert.equal(info.memoryDatatype, "float32");
  assert.deepEqual(info.spacing, [2, 2, 2.5]);
  assert.equal(info.axisCodes, "RAS");
  // raw int16 -10..37 by channel, times 0.5 minus 3 (values from make_fixtures.py)
  assert.deepEqual(info.range, [{ min: -8, max: 15 }, { min: -7.5, max: 15.5 }]);
});

Deno.test("llmseg info prints text, and a bad file as one line on stderr with exit 2", async () => {
  const text = await llmseg("info", `${volumeFixtures}big_endian.nii`);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /shape\s+2 x 3 x 4\n/);
  assert.match(text.stdout, /axes\s+LAS\n/);
  assert.match(text.stdout, /range\s+-1.5 .. 2.5/);
  const missing = await llmseg("info", `${volumeFixtures}tiny.h5#mask`);
  assert.equal(missing.code, 2);
  assert.equal(missing.stdout, "");
  assert.match(missing.stderr, /^llmseg info: .*tiny\.h5: missing HDF5 dataset 'mask'/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /, "no stack trace");
});
