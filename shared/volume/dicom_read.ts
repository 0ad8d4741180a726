/**
 * A DICOM CT/MR series (one file per slice, uncompressed) read into one {@link Volume}: slices
 * sorted by ImagePositionPatient along the slice normal, the affine from ImageOrientationPatient,
 * PixelSpacing and the step between slice positions, values through RescaleSlope/Intercept.
 */
import { join } from "node:path";
import type { DicomSeriesReference, Volume, VoxelArray, VoxelType } from "./volume.ts";
import {
  type DicomDataset,
  dicomNumbers,
  dicomPixelBytes,
  dicomString,
  isDicom,
  parseDicom,
} from "./dicom_codec.ts";
import { affineFromPlanes, alongNormal, type DicomPlane, sliceNormal } from "./dicom_geometry.ts";
import { affineSpacing } from "./raster.ts";
import { checkDeclaredSize, formatBytes, volumeError, type VolumeLimits } from "./limits.ts";
import { voxelsFromBytes } from "./raw_voxels.ts";
import { allocateVoxels } from "./voxel_type.ts";

/** SOP class of DICOM Segmentation objects (read by dicom_seg.ts, not as a series slice). */
export const SEGMENTATION_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4";

/** Patient and study attributes a derived object (a SEG) copies from its source series. */
export const PATIENT_STUDY_KEYWORDS = [
  "PatientName",
  "PatientID",
  "PatientBirthDate",
  "PatientSex",
  "StudyInstanceUID",
  "StudyDate",
  "StudyTime",
  "StudyID",
  "AccessionNumber",
  "ReferringPhysicianName",
  "StudyDescription",
] as const;

/** One parsed slice file. */
interface Slice {
  file: string;
  dataset: DicomDataset;
  plane: DicomPlane;
}

/**
 * Reads the series in `folder` (every DICOM file in it, not recursing; other files are skipped).
 * `seriesUid` picks one series when the folder holds several.
 *
 * @throws UserError naming the folder or file: no DICOM files, several series and none picked,
 *   compressed transfer syntax, multi-frame or colour images, slices that differ in size or
 *   orientation, two slices at one position, uneven slice spacing, absurd dims
 */
export async function readDicomSeries(
  folder: string,
  limits: VolumeLimits,
  seriesUid?: string,
): Promise<Volume> {
  const all = await parseFolder(folder, limits);
  const series = Map.groupBy(all, (s) => dicomString(s.dataset, "SeriesInstanceUID"));
  if (seriesUid === undefined && series.size > 1) {
    const list = [...series].map(([uid, slices]) =>
      `${uid} (${dicomString(slices[0].dataset, "SeriesDescription") || "no description"}, ` +
      `${slices.length} files)`
    );
    throw volumeError(
      folder,
      `holds ${series.size} DICOM series; pick one as ${folder}#<SeriesInstanceUID>: ${
        list.join("; ")
      }`,
    );
  }
  const slices = seriesUid === undefined ? all : series.get(seriesUid);
  if (slices === undefined) {
    throw volumeError(
      folder,
      `no series ${seriesUid} (series here: ${[...series.keys()].join(", ")})`,
    );
  }
  return assembleSeries(
    slices,
    seriesUid === undefined ? folder : `${folder}#${seriesUid}`,
    limits,
  );
}

async function parseFolder(folder: string, limits: VolumeLimits): Promise<Slice[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    if (entry.isFile && !entry.name.startsWith(".") && entry.name.toUpperCase() !== "DICOMDIR") {
      names.push(entry.name);
    }
  }
  const slices: Slice[] = [];
  for (const name of names.sort()) {
    const file = join(folder, name);
    const { size } = await Deno.stat(file);
    if (size > limits.maxBytes) {
      throw volumeError(
        file,
        `file is ${formatBytes(size)}, over the limit of ${formatBytes(limits.maxBytes)}`,
      );
    }
    const bytes = await Deno.readFile(file);
    if (!isDicom(bytes)) continue;
    const dataset = parseDicom(bytes, file);
    if (dicomString(dataset, "SOPClassUID") === SEGMENTATION_SOP_CLASS) {
      throw volumeError(
        file,
        "is a DICOM SEG, not an image slice: read it on its own, or move it out of the series folder",
      );
    }
    slices.push({ file, dataset, plane: planeOf(dataset, file) });
  }
  if (slices.length === 0) {
    throw volumeError(
      folder,
      "a folder without DICOM files (Part 10, DICM magic): not a DICOM series",
    );
  }
  return slices;
}

function planeOf(dataset: DicomDataset, file: string): DicomPlane {
  const plane = {
    orientation: dicomNumbers(dataset, "ImageOrientationPatient"),
    pixelSpacing: dicomNumbers(dataset, "PixelSpacing"),
    position: dicomNumbers(dataset, "ImagePositionPatient"),
  };
  const lengths = { orientation: 6, pixelSpacing: 2, position: 3 } as const;
  for (const [key, length] of Object.entries(lengths) as [keyof DicomPlane, number][]) {
    if (plane[key].length !== length || plane[key].some((v) => !Number.isFinite(v))) {
      throw volumeError(
        file,
        `no usable ${
          key === "orientation"
            ? "ImageOrientationPatient"
            : key === "pixelSpacing"
            ? "PixelSpacing"
            : "ImagePositionPatient"
        }: ` +
          "only CT/MR-like images with patient geometry are read",
      );
    }
  }
  return plane;
}

function assembleSeries(slices: Slice[], name: string, limits: VolumeLimits): Volume {
  const first = slices[0];
  const rows = Number(first.dataset.Rows);
  const columns = Number(first.dataset.Columns);
  const datatype = storedType(first.dataset, first.file);
  for (const slice of slices) {
    const frames = Number(slice.dataset.NumberOfFrames ?? 1);
    if (frames > 1) {
      throw volumeError(slice.file, `multi-frame image (${frames} frames) is not read`);
    }
    const same = Number(slice.dataset.Rows) === rows && Number(slice.dataset.Columns) === columns &&
      storedType(slice.dataset, slice.file) === datatype &&
      slice.plane.orientation.every((v, i) => Math.abs(v - first.plane.orientation[i]) < 1e-4) &&
      slice.plane.pixelSpacing.every((v, i) => Math.abs(v - first.plane.pixelSpacing[i]) < 1e-4);
    if (!same) {
      throw volumeError(
        slice.file,
        `differs from ${first.file} in size, pixel type, orientation or pixel spacing: not one volume`,
      );
    }
  }
  const normal = sliceNormal(first.plane.orientation);
  slices.sort((a, b) =>
    alongNormal(a.plane.position, normal) - alongNormal(b.plane.position, normal)
  );
  const steps = slices.slice(1).map((s, k) =>
    alongNormal(s.plane.position, normal) - alongNormal(slices[k].plane.position, normal)
  );
  const duplicate = steps.findIndex((s) => s < 1e-3);
  if (duplicate >= 0) {
    throw volumeError(
      name,
      `${slices[duplicate].file} and ${slices[duplicate + 1].file} lie at one position ` +
        "(several acquisitions, echoes or phases in one series?): not one volume",
    );
  }
  if (steps.length > 0 && Math.max(...steps) - Math.min(...steps) > 0.01 * Math.max(...steps)) {
    throw volumeError(
      name,
      `uneven slice spacing (${Math.min(...steps).toFixed(3)} to ${
        Math.max(...steps).toFixed(3)
      } mm` +
        "): missing slices, or a series that needs resampling",
    );
  }
  const sliceStep = slices.length > 1
    ? [0, 1, 2].map((r) =>
      (slices[slices.length - 1].plane.position[r] - first.plane.position[r]) / (slices.length - 1)
    )
    : normal.map((v) => v * singleSliceThickness(first.dataset));
  const shape: [number, number, number] = [columns, rows, slices.length];
  checkDeclaredSize(name, shape, 4, limits);
  const affine = affineFromPlanes(slices[0].plane, sliceStep);
  const reference = seriesReference(slices);
  return {
    shape,
    channels: 1,
    data: sliceValues(slices, rows * columns, datatype),
    spacing: affineSpacing(affine),
    affine,
    source: { path: name, format: "dicom", datatype, dicom: reference },
  };
}

/** The stored pixel type from BitsAllocated and PixelRepresentation. */
function storedType(dataset: DicomDataset, file: string): VoxelType {
  if (Number(dataset.SamplesPerPixel ?? 1) !== 1) {
    throw volumeError(
      file,
      `${dataset.SamplesPerPixel} samples per pixel (colour): only greyscale is read`,
    );
  }
  const bits = Number(dataset.BitsAllocated);
  const signed = Number(dataset.PixelRepresentation) === 1;
  const type = ({ 8: "int8", 16: "int16", 32: "int32" } as const)[bits as 8 | 16 | 32];
  if (type === undefined) throw volumeError(file, `BitsAllocated ${bits}: 8, 16 or 32 are read`);
  return (signed ? type : `u${type}`) as VoxelType;
}

/** Voxels of all slices in k order, rescaled to float32 when any slice has a slope or intercept. */
function sliceValues(slices: Slice[], perSlice: number, datatype: VoxelType): VoxelArray {
  const scaling = slices.map((s) => ({
    slope: dicomNumbers(s.dataset, "RescaleSlope")[0] ?? 1,
    intercept: dicomNumbers(s.dataset, "RescaleIntercept")[0] ?? 0,
  }));
  const scaled = scaling.some((s) => s.slope !== 1 || s.intercept !== 0);
  const out = scaled
    ? new Float32Array(perSlice * slices.length)
    : allocateVoxels(datatype, perSlice * slices.length);
  slices.forEach((slice, k) => {
    const bytes = dicomPixelBytes(slice.dataset, slice.file);
    const width = Number(slice.dataset.BitsAllocated) / 8;
    if (bytes.length < perSlice * width) {
      throw volumeError(
        slice.file,
        `truncated pixel data: ${bytes.length} bytes for ${perSlice} pixels`,
      );
    }
    const pixels = voxelsFromBytes(bytes, 0, perSlice, datatype, true);
    const { slope, intercept } = scaling[k];
    const at = k * perSlice;
    if (!scaled) out.set(pixels, at);
    else for (let v = 0; v < perSlice; v++) out[at + v] = pixels[v] * slope + intercept;
  });
  return out;
}

function singleSliceThickness(dataset: DicomDataset): number {
  return dicomNumbers(dataset, "SpacingBetweenSlices")[0] ||
    dicomNumbers(dataset, "SliceThickness")[0] || 1;
}

function seriesReference(slices: Slice[]): DicomSeriesReference {
  const first = slices[0].dataset;
  const patientStudy: DicomDataset = {};
  for (const keyword of PATIENT_STUDY_KEYWORDS) {
    if (first[keyword] !== undefined) patientStudy[keyword] = first[keyword];
  }
  return {
    studyInstanceUid: dicomString(first, "StudyInstanceUID"),
    seriesInstanceUid: dicomString(first, "SeriesInstanceUID"),
    frameOfReferenceUid: dicomString(first, "FrameOfReferenceUID"),
    instances: slices.map((s) => ({
      sopClassUid: dicomString(s.dataset, "SOPClassUID"),
      sopInstanceUid: dicomString(s.dataset, "SOPInstanceUID"),
    })),
    patientStudy,
  };
}
