/**
 * DICOM on real files: a series written to disk and read back (voxels, affine, slice order by
 * position, not by file name), a SEG of a mask written and read back both by our reader and as a
 * plain dcmjs dataset, and the refusals (compressed syntax, mixed series, uneven spacing).
 */
import assert from "node:assert/strict";
import dcmjs from "dcmjs";
import type { Affine, Volume } from "./volume.ts";
import { decodeVolume, readVolume } from "./read.ts";
import { writeVolume } from "./write.ts";
import { encodeDicomSeries, writeDicomSeries } from "./dicom_write.ts";
import { encodeDicomSeg } from "./dicom_seg.ts";
import { parseDicom } from "./dicom_codec.ts";
import { sharedData, sharedDataPath } from "../testing/data.ts";

/** Rotated 30° about z and 10° about x, anisotropic, off-centre: an oblique right-handed grid. */
function obliqueAffine(spacing: [number, number, number]): Affine {
  const [cz, sz, cx, sx] = [
    Math.cos(Math.PI / 6),
    Math.sin(Math.PI / 6),
    Math.cos(0.17),
    Math.sin(0.17),
  ];
  const rz = [[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]];
  const rx = [[1, 0, 0], [0, cx, -sx], [0, sx, cx]];
  const r = rz.map((row) => [0, 1, 2].map((c) => row.reduce((s, v, k) => s + v * rx[k][c], 0)));
  const row = (i: number): [number, number, number, number] => [
    r[i][0] * spacing[0],
    r[i][1] * spacing[1],
    r[i][2] * spacing[2],
    [-40.5, 12.25, 70][i],
  ];
  return [row(0), row(1), row(2), [0, 0, 0, 1]];
}

function scanVolume(): Volume<Int16Array> {
  const shape: [number, number, number] = [5, 4, 6];
  const data = Int16Array.from({ length: 5 * 4 * 6 }, (_, v) => (v * 37) % 2001 - 1000);
  return {
    shape,
    channels: 1,
    data,
    spacing: [0.7, 0.8, 2.5],
    affine: obliqueAffine([0.7, 0.8, 2.5]),
  };
}

function assertAffineClose(got: Affine, want: Affine, tolerance = 1e-6): void {
  got.flat().forEach((v, i) =>
    assert.ok(Math.abs(v - want.flat()[i]) < tolerance, `affine ${got} != ${want}`)
  );
}

Deno.test("a DICOM series round-trips: voxels exactly, affine, slices sorted by position", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const scan = scanVolume();
    await writeDicomSeries(`${dir}/series`, scan, { modality: "MR" });
    // File names in an order unrelated to the slices': the reader must sort by position.
    const names = [...Deno.readDirSync(`${dir}/series`)].map((e) => e.name).sort();
    assert.equal(names.length, 6);
    for (const [i, name] of names.entries()) {
      await Deno.rename(`${dir}/series/${name}`, `${dir}/series/IM${(i * 7) % 6}x${i}`);
    }
    await Deno.writeTextFile(`${dir}/series/README.txt`, "not DICOM, skipped");
    const read = await readVolume(`${dir}/series`);
    assert.deepEqual(read.shape, scan.shape);
    assert.ok(read.data instanceof Int16Array, "slope 1, intercept 0 keeps int16");
    assert.deepEqual(Array.from(read.data), Array.from(scan.data));
    assertAffineClose(read.affine, scan.affine);
    read.spacing.forEach((v, i) => assert.ok(Math.abs(v - scan.spacing[i]) < 1e-6));
    assert.equal(read.source?.format, "dicom");
    assert.equal(read.source?.dicom?.instances.length, 6);
    const first = parseDicom(await Deno.readFile(`${dir}/series/${"IM0x0"}`), "IM0x0");
    assert.equal(first.Modality, "MR");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("float values go through RescaleSlope/Intercept to within half a step", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const scan = scanVolume();
    const values = Float32Array.from(scan.data, (v) => v / 7 + 0.3);
    await writeDicomSeries(`${dir}/s`, { ...scan, data: values });
    const read = await readVolume(`${dir}/s`);
    assert.ok(read.data instanceof Float32Array);
    const slope = 2000 / 7 / 65535;
    read.data.forEach((v, i) =>
      assert.ok(Math.abs(v - values[i]) <= slope, `${v} vs ${values[i]}`)
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a mask of a DICOM series is written as a SEG that reads back as the mask", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeDicomSeries(`${dir}/series`, scanVolume());
    const scan = await readVolume(`${dir}/series`);
    // Labels 0, 1, 2 as inference would return them: the scan's geometry and source.
    const labels = Uint8Array.from(scan.data, (v) => (v > 300 ? 2 : v > -200 ? 1 : 0));
    labels.fill(0, 0, 20); // slice 0 empty: its frames must still be placed right
    const mask: Volume = { ...scan, data: labels };
    await writeVolume(`${dir}/mask.dcm`, mask);
    const back = await readVolume(`${dir}/mask.dcm`);
    assert.deepEqual(back.shape, scan.shape);
    assert.deepEqual(Array.from(back.data), Array.from(labels));
    assertAffineClose(back.affine, scan.affine);

    // Read as a plain DICOM dataset by dcmjs: the references a viewer needs.
    const seg = dcmjs.data.DicomMetaDictionary.naturalizeDataset(
      dcmjs.data.DicomMessage.readFile((await Deno.readFile(`${dir}/mask.dcm`)).buffer).dict,
    );
    assert.equal(seg.SOPClassUID, "1.2.840.10008.5.1.4.1.1.66.4");
    assert.equal(seg.Modality, "SEG");
    assert.equal(seg.SegmentationType, "BINARY");
    assert.equal(seg.NumberOfFrames, 2 * 6);
    assert.equal(seg.SegmentSequence.length, 2);
    assert.equal(seg.StudyInstanceUID, scan.source?.dicom?.studyInstanceUid);
    assert.equal(seg.FrameOfReferenceUID, scan.source?.dicom?.frameOfReferenceUid);
    const referenced = seg.ReferencedSeriesSequence[0];
    assert.equal(referenced.SeriesInstanceUID, scan.source?.dicom?.seriesInstanceUid);
    assert.deepEqual(
      referenced.ReferencedInstanceSequence.map((i: Record<string, string>) =>
        i.ReferencedSOPInstanceUID
      ),
      scan.source?.dicom?.instances.map((i) => i.sopInstanceUid),
    );
    const frame = seg.PerFrameFunctionalGroupsSequence[6 + 2]; // segment 2, slice 2
    assert.equal(frame.SegmentIdentificationSequence[0].ReferencedSegmentNumber, 2);
    assert.equal(
      frame.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID,
      scan.source?.dicom?.instances[2].sopInstanceUid,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a SEG needs the mask's DICOM series; a lone image slice is refused", async () => {
  const scan = scanVolume();
  assert.throws(
    () => encodeDicomSeg({ ...scan, data: new Uint8Array(120) }),
    /references the DICOM series/,
  );
  const [slice] = encodeDicomSeries(scan);
  await assert.rejects(
    decodeVolume(slice.bytes, "one.dcm"),
    /single DICOM image slice: give the folder/,
  );
});

/** Writes `files` into a new folder under `dir`. */
async function folderOf(dir: string, name: string, files: { name: string; bytes: Uint8Array }[]) {
  await Deno.mkdir(`${dir}/${name}`);
  for (const f of files) await Deno.writeFile(`${dir}/${name}/${f.name}`, f.bytes);
  return `${dir}/${name}`;
}

Deno.test("mixed series, uneven spacing, duplicates and compressed syntaxes are refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const scan = scanVolume();
    const a = encodeDicomSeries(scan, { seriesDescription: "first" });
    const b = encodeDicomSeries(scan, { seriesDescription: "second" }).map((f) => ({
      ...f,
      name: `b_${f.name}`,
    }));
    const mixed = await folderOf(dir, "mixed", [...a, ...b]);
    await assert.rejects(
      readVolume(mixed),
      /holds 2 DICOM series; pick one as .*#<SeriesInstanceUID>: .*first, 6 files/,
    );
    const uid = String(parseDicom(b[0].bytes, "b").SeriesInstanceUID);
    const picked = await readVolume(`${mixed}#${uid}`);
    assert.deepEqual(Array.from(picked.data), Array.from(scan.data));

    const gap = await folderOf(dir, "gap", a.filter((_, k) => k !== 3));
    await assert.rejects(readVolume(gap), /uneven slice spacing \(2\.500 to 5\.000 mm\)/);

    const twice = await folderOf(dir, "twice", [...a, { name: "copy.dcm", bytes: a[2].bytes }]);
    await assert.rejects(readVolume(twice), /lie at one position/);

    // The same slice relabelled as JPEG baseline: the pixel data would need a decoder.
    const dataset = parseDicom(a[0].bytes, "a");
    const meta = {
      FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
      MediaStorageSOPClassUID: dataset.SOPClassUID,
      MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
      TransferSyntaxUID: "1.2.840.10008.1.2.4.50",
    };
    const file = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
    file.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
    const jpeg = await folderOf(dir, "jpeg", [{
      name: "x.dcm",
      bytes: new Uint8Array(file.write()),
    }]);
    await assert.rejects(
      readVolume(jpeg),
      /transfer syntax 1\.2\.840\.10008\.1\.2\.4\.50 \(JPEG baseline\) is not read.*gdcmconv --raw/,
    );

    const empty = await folderOf(dir, "empty", [{ name: "a.txt", bytes: new Uint8Array(200) }]);
    await assert.rejects(readVolume(empty), /a folder without DICOM files/);
    await assert.rejects(writeDicomSeries(mixed, scan), /folder exists and is not empty/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a real hippocampus scan and label go NIfTI → DICOM series / SEG → back unchanged",
  ignore: !sharedData,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const nifti = await readVolume(sharedDataPath("hippocampus/imagesTr/hippocampus_001.nii.gz"));
      const label = await readVolume(sharedDataPath("hippocampus/labelsTr/hippocampus_001.nii.gz"));
      await writeDicomSeries(`${dir}/series`, nifti);
      const series = await readVolume(`${dir}/series`);
      assert.deepEqual(series.shape, [35, 51, 35]);
      assert.deepEqual(Array.from(series.data), Array.from(nifti.data));
      assertAffineClose(series.affine, nifti.affine);
      await writeVolume(`${dir}/label.dcm`, { ...series, data: label.data });
      const seg = await readVolume(`${dir}/label.dcm`);
      assert.deepEqual(Array.from(seg.data), Array.from(label.data));
      assertAffineClose(seg.affine, nifti.affine);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
