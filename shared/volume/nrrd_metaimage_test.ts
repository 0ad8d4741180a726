/**
 * NRRD and MetaImage files written here from the nibabel-checked NIfTI fixtures (rotated,
 * anisotropic `qform_only.nii.gz`; two-channel `scaled_4d.nii`), by the formats' own rules (NRRD
 * `space directions` are axis vectors in the named space; MetaImage is LPS with TransformMatrix
 * row i = axis i's direction, as ITK reads it), must read back as the NIfTI does.
 */
import assert from "node:assert/strict";
import { gzipSync, zlibSync } from "fflate";
import type { Affine, Volume } from "./volume.ts";
import { decodeVolume, inspectVolumeHeader, readVolume } from "./read.ts";
import { volumeFixtures } from "./testing.ts";

const scan = await readVolume(`${volumeFixtures}qform_only.nii.gz`); // int16 [4, 3, 2]
const twoChannel = await readVolume(`${volumeFixtures}scaled_4d.nii`); // float32, 2 channels

/** Axis i's vector and the origin in LPS (x and y negated). */
function lps(affine: Affine): { axes: number[][]; origin: number[] } {
  const sign = [-1, -1, 1];
  return {
    axes: [0, 1, 2].map((c) => [0, 1, 2].map((r) => sign[r] * affine[r][c])),
    origin: [0, 1, 2].map((r) => sign[r] * affine[r][3]),
  };
}

function bytesOf(volume: Volume, littleEndian = true): Uint8Array {
  const data = volume.data;
  const out = new Uint8Array(data.byteLength);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (!littleEndian) {
    const width = data.BYTES_PER_ELEMENT;
    for (let at = 0; at < out.length; at += width) out.subarray(at, at + width).reverse();
  }
  return out;
}

/** Channel fastest, as NRRD vectors and MetaImage channels store them. */
function interleaved(volume: Volume<Float32Array>): Float32Array {
  const n = volume.data.length / volume.channels;
  const out = new Float32Array(volume.data.length);
  for (let v = 0; v < n; v++) {
    for (let c = 0; c < volume.channels; c++) out[v * volume.channels + c] = volume.data[c * n + v];
  }
  return out;
}

function join(...parts: (string | Uint8Array)[]): Uint8Array {
  const chunks = parts.map((p) => typeof p === "string" ? new TextEncoder().encode(p) : p);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => (out.set(c, at), at + c.length), 0);
  return out;
}

function assertSameVolume(got: Volume, want: Volume): void {
  assert.deepEqual(got.shape, want.shape);
  assert.equal(got.channels, want.channels);
  assert.deepEqual(Array.from(got.data), Array.from(want.data));
  got.affine.flat().forEach((v, i) => assert.ok(Math.abs(v - want.affine.flat()[i]) < 1e-9));
  got.spacing.forEach((v, i) => assert.ok(Math.abs(v - want.spacing[i]) < 1e-9));
}

const vector = (v: number[]): string => `(${v.join(",")})`;

function nrrdHeader(fields: Record<string, string>): string {
  return "NRRD0004\n# written by a test\n" +
    Object.entries(fields).map(([k, v]) => `${k}: ${v}\n`).join("");
}

Deno.test("NRRD raw and gzip, LPS space, read as the same rotated NIfTI", async () => {
  const { axes, origin } = lps(scan.affine);
  const fields = {
    type: "short",
    dimension: "3",
    space: "left-posterior-superior",
    sizes: scan.shape.join(" "),
    "space directions": axes.map(vector).join(" "),
    kinds: "domain domain domain",
    endian: "little",
    "space origin": vector(origin),
  };
  const raw = join(nrrdHeader({ ...fields, encoding: "raw" }), "\n", bytesOf(scan));
  assertSameVolume(await decodeVolume(raw, "scan.nrrd"), scan);
  const gzip = join(nrrdHeader({ ...fields, encoding: "gzip" }), "\n", gzipSync(bytesOf(scan)));
  const read = await decodeVolume(gzip, "upload-without-extension");
  assertSameVolume(read, scan);
  assert.equal(read.source?.format, "nrrd");
  assert.equal(read.source?.datatype, "int16");
});

Deno.test("NRRD RAS space, big-endian, detached .nhdr with a byte skip", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fields = nrrdHeader({
      type: "int16",
      dimension: "3",
      space: "RAS",
      sizes: scan.shape.join(" "),
      "space directions": [0, 1, 2].map((c) => vector([0, 1, 2].map((r) => scan.affine[r][c])))
        .join(" "),
      "space origin": vector([0, 1, 2].map((r) => scan.affine[r][3])),
      endian: "big",
      encoding: "raw",
      "byte skip": "5",
      "data file": "data/scan.raw",
    });
    await Deno.mkdir(`${dir}/data`);
    await Deno.writeFile(`${dir}/data/scan.raw`, join("12345", bytesOf(scan, false)));
    await Deno.writeTextFile(`${dir}/scan.nhdr`, fields);
    assertSameVolume(await readVolume(`${dir}/scan.nhdr`), scan);
    await assert.rejects(
      decodeVolume(new TextEncoder().encode(fields), "scan.nhdr"),
      /detached header: its data is in 'data\/scan.raw'/,
    );
    await Deno.remove(`${dir}/data/scan.raw`);
    await assert.rejects(
      readVolume(`${dir}/scan.nhdr`),
      /data file data\/scan.raw\): file not found/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a 4-D NRRD with the channel axis first reads as planar channels", async () => {
  const volume = twoChannel as Volume<Float32Array>;
  const { axes, origin } = lps(volume.affine);
  const header = nrrdHeader({
    type: "float",
    dimension: "4",
    space: "LPS",
    sizes: `${volume.channels} ${volume.shape.join(" ")}`,
    "space directions": `none ${axes.map(vector).join(" ")}`,
    kinds: "vector domain domain domain",
    endian: "little",
    encoding: "raw",
    "space origin": vector(origin),
  });
  const values = interleaved(volume);
  const file = join(header, "\n", new Uint8Array(values.buffer));
  assertSameVolume(await decodeVolume(file, "two.nrrd"), volume);
});

Deno.test("NRRD without space fields takes spacings as a diagonal; ascii encoding", async () => {
  const header = nrrdHeader({
    type: "uchar",
    dimension: "3",
    sizes: "2 2 1",
    spacings: "0.5 2 3",
    encoding: "ascii",
  });
  const volume = await decodeVolume(join(header, "\n", "1 2\n3 250\n"), "a.nrrd");
  assert.deepEqual(Array.from(volume.data), [1, 2, 3, 250]);
  assert.deepEqual(volume.spacing, [0.5, 2, 3]);
  assert.deepEqual(volume.affine[1], [0, 2, 0, 0]);
});

Deno.test("bad NRRD files are refused with a reason", async () => {
  const base = {
    type: "short",
    dimension: "3",
    sizes: "4 3 2",
    endian: "little",
    encoding: "raw",
  };
  const cases: [Record<string, string>, Uint8Array | string, RegExp][] = [
    [base, new Uint8Array(10), /truncated: the header declares \[4, 3, 2\] int16 = 48 bytes/],
    [{ ...base, encoding: "bzip2" }, "", /encoding 'bzip2' is not read/],
    [{ ...base, type: "longlong" }, "", /type 'longlong' is not read/],
    [{ ...base, dimension: "2", sizes: "4 3" }, "", /dimension 2: only 3-D/],
    [{ ...base, encoding: "gzip" }, new Uint8Array(30), /corrupt gzip data/],
    [{ ...base, sizes: "400000 400000 400000" }, "", /absurd dimensions/],
    [{ ...base, space: "RAST" }, "", /space 'RAST' is not read/],
  ];
  for (const [fields, data, message] of cases) {
    await assert.rejects(decodeVolume(join(nrrdHeader(fields), "\n", data), "bad.nrrd"), message);
  }
});

function metaHeader(fields: Record<string, string>): string {
  return Object.entries(fields).map(([k, v]) => `${k} = ${v}\n`).join("");
}

const metaFields = (volume: Volume, type: string): Record<string, string> => {
  const { axes, origin } = lps(volume.affine);
  return {
    ObjectType: "Image",
    NDims: "3",
    BinaryData: "True",
    BinaryDataByteOrderMSB: "False",
    TransformMatrix: axes.map((a, i) => a.map((v) => v / volume.spacing[i]).join(" ")).join(" "),
    Offset: origin.join(" "),
    CenterOfRotation: "0 0 0",
    AnatomicalOrientation: "RAI",
    ElementSpacing: volume.spacing.join(" "),
    DimSize: volume.shape.join(" "),
    ElementType: type,
  };
};

Deno.test("MetaImage .mha raw and zlib-compressed read as the same rotated NIfTI", async () => {
  const raw = join(
    metaHeader({ ...metaFields(scan, "MET_SHORT"), ElementDataFile: "LOCAL" }),
    bytesOf(scan),
  );
  assertSameVolume(await decodeVolume(raw, "scan.mha"), scan);
  const packed = zlibSync(bytesOf(scan));
  const compressed = join(
    metaHeader({
      ...metaFields(scan, "MET_SHORT"),
      CompressedData: "True",
      CompressedDataSize: String(packed.length),
      ElementDataFile: "LOCAL",
    }),
    packed,
  );
  const read = await decodeVolume(compressed, "upload");
  assertSameVolume(read, scan);
  assert.equal(read.source?.format, "metaimage");
});

Deno.test("MetaImage .mhd + .raw, big-endian, with two channels", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const volume = twoChannel as Volume<Float32Array>;
    const values = interleaved(volume);
    const swapped = bytesOf({ ...volume, channels: 1, data: values }, false);
    await Deno.writeFile(`${dir}/two.raw`, swapped);
    await Deno.writeTextFile(
      `${dir}/two.mhd`,
      metaHeader({
        ...metaFields(volume, "MET_FLOAT"),
        BinaryDataByteOrderMSB: "True",
        ElementNumberOfChannels: "2",
        ElementDataFile: "two.raw",
      }),
    );
    assertSameVolume(await readVolume(`${dir}/two.mhd`), volume);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad MetaImage files are refused with a reason; uploads of them too", async () => {
  const fields = { ...metaFields(scan, "MET_SHORT"), ElementDataFile: "LOCAL" };
  const cases: [Record<string, string>, RegExp][] = [
    [{ ...fields, ElementType: "MET_LONG_LONG" }, /ElementType MET_LONG_LONG is not read/],
    [{ ...fields, NDims: "2", DimSize: "4 3" }, /NDims 2: only 3-D/],
    [{ ...fields, ElementDataFile: "LIST" }, /multi-file data is not read/],
    [{ ...fields, DimSize: "4 3" }, /DimSize '4 3' is not 3 numbers/],
    [fields, /truncated/],
  ];
  for (const [header, message] of cases) {
    await assert.rejects(decodeVolume(join(metaHeader(header), "xx"), "bad.mha"), message);
  }
  const good = join(metaHeader(fields), bytesOf(scan));
  await assert.rejects(
    inspectVolumeHeader(good, "scan.mha"),
    /metaimage uploads are not accepted \(NIfTI or HDF5\): convert to NIfTI first/,
  );
});
