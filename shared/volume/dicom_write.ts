/**
 * Writes a volume as a DICOM CT or MR series: one explicit-VR little-endian file per slice,
 * int16 pixels (values rescaled through RescaleSlope/Intercept when they are not already int16
 * integers), the geometry from the volume's affine (dicom_geometry.ts).
 */
import { join } from "node:path";
import type { Volume } from "./volume.ts";
import { type DicomDataset, dicomDecimal, encodeDicom, newUid } from "./dicom_codec.ts";
import { planeOfSlice } from "./dicom_geometry.ts";
import { volumeError } from "./limits.ts";

const SOP_CLASSES = { CT: "1.2.840.10008.5.1.4.1.1.2", MR: "1.2.840.10008.5.1.4.1.1.4" } as const;

/** Options of {@link encodeDicomSeries}. */
export interface DicomSeriesOptions {
  /** CT (default) or MR image storage. */
  modality?: "CT" | "MR";
  seriesDescription?: string;
  /** Patient/study attributes to use (keyword → value); new UIDs and an anonymous patient otherwise. */
  patientStudy?: Record<string, unknown>;
}

/** How stored int16 values map back to the volume's: `value = stored · slope + intercept`. */
interface Rescale {
  slope: number;
  intercept: number;
}

/**
 * One Part 10 file per slice (k order), named `slice_0001.dcm` … .
 *
 * @throws UserError when the volume has several channels, non-finite values, or in-plane axes
 *   that are not perpendicular
 */
export function encodeDicomSeries(
  volume: Volume,
  options: DicomSeriesOptions = {},
): { name: string; bytes: Uint8Array }[] {
  const path = volume.source?.path ?? "volume";
  if (volume.channels !== 1) {
    throw volumeError(path, `${volume.channels} channels: a DICOM series holds one`);
  }
  const [columns, rows, slices] = volume.shape;
  const rescale = int16Rescale(volume, path);
  const modality = options.modality ?? "CT";
  const today = new Date().toISOString().slice(0, 10).replaceAll("-", "");
  const common: DicomDataset = {
    PatientName: "Anonymous",
    PatientID: "llmseg",
    StudyInstanceUID: newUid(),
    StudyDate: today,
    StudyID: "1",
    ...options.patientStudy,
    SOPClassUID: SOP_CLASSES[modality],
    Modality: modality,
    SeriesInstanceUID: newUid(),
    SeriesNumber: 1,
    SeriesDescription: options.seriesDescription ?? "written by llmseg",
    FrameOfReferenceUID: newUid(),
    ImageType: ["DERIVED", "SECONDARY"],
    Rows: rows,
    Columns: columns,
    SamplesPerPixel: 1,
    PhotometricInterpretation: "MONOCHROME2",
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 1,
    RescaleSlope: dicomDecimal(rescale.slope),
    RescaleIntercept: dicomDecimal(rescale.intercept),
    _vrMap: { PixelData: "OW" },
  };
  const perSlice = rows * columns;
  const files: { name: string; bytes: Uint8Array }[] = [];
  for (let k = 0; k < slices; k++) {
    let plane;
    try {
      plane = planeOfSlice(volume.affine, k);
    } catch (error) {
      throw volumeError(path, (error as Error).message);
    }
    const pixels = new Int16Array(perSlice);
    for (let v = 0; v < perSlice; v++) {
      pixels[v] = Math.round((volume.data[k * perSlice + v] - rescale.intercept) / rescale.slope);
    }
    const thickness = Math.hypot(volume.affine[0][2], volume.affine[1][2], volume.affine[2][2]);
    files.push({
      name: `slice_${String(k + 1).padStart(4, "0")}.dcm`,
      bytes: encodeDicom({
        ...common,
        SOPInstanceUID: newUid(),
        InstanceNumber: k + 1,
        ImagePositionPatient: plane.position.map(dicomDecimal),
        ImageOrientationPatient: plane.orientation.map(dicomDecimal),
        PixelSpacing: plane.pixelSpacing.map(dicomDecimal),
        SliceThickness: dicomDecimal(thickness),
        SpacingBetweenSlices: dicomDecimal(thickness),
        PixelData: pixels.buffer,
      }),
    });
  }
  return files;
}

/**
 * Writes the series into a new folder `dir` (refused when it exists and is not empty). The files
 * go to a temporary folder beside it that is renamed into place: all slices or none.
 */
export async function writeDicomSeries(
  dir: string,
  volume: Volume,
  options: DicomSeriesOptions = {},
): Promise<void> {
  const files = encodeDicomSeries(volume, options);
  try {
    for await (const _ of Deno.readDir(dir)) {
      throw volumeError(dir, "folder exists and is not empty");
    }
    await Deno.remove(dir);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const temp = `${dir.replace(/\/+$/, "")}.tmp-${crypto.randomUUID()}`;
  try {
    await Deno.mkdir(temp);
    for (const file of files) await Deno.writeFile(join(temp, file.name), file.bytes);
    await Deno.rename(temp, dir);
  } catch (error) {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    if (error instanceof Deno.errors.NotFound) {
      throw volumeError(dir, "parent folder does not exist");
    }
    throw error;
  }
}

/** Slope 1, intercept 0 for int16 integers; else a linear map of the value range onto int16. */
function int16Rescale(volume: Volume, path: string): Rescale {
  let min = Infinity;
  let max = -Infinity;
  let integers = true;
  for (const v of volume.data) {
    if (!Number.isFinite(v)) {
      throw volumeError(path, "non-finite values cannot be written to DICOM");
    }
    if (v < min) min = v;
    if (v > max) max = v;
    if (integers && !Number.isInteger(v)) integers = false;
  }
  if (integers && min >= -32768 && max <= 32767) return { slope: 1, intercept: 0 };
  // DS holds 16 characters: round slope and intercept to what is written, then derive pixels.
  const slope = Number(dicomDecimal((max - min) / 65535 || 1));
  return { slope, intercept: Number(dicomDecimal(min + 32768 * slope)) };
}
