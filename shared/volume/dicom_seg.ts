/**
 * DICOM Segmentation (SEG, PS3.3 A.51) out and in. A label mask read for a DICOM series becomes a
 * BINARY multi-frame SEG, one segment per label value, one frame per (segment, slice), each frame
 * referencing its source slice; a SEG file reads back as a label map (segment number per voxel)
 * on the grid its frames' positions describe.
 */
import type { Volume } from "./volume.ts";
import {
  type DicomDataset,
  dicomDecimal,
  dicomItem,
  dicomNumbers,
  dicomPixelBytes,
  dicomString,
  encodeDicom,
  newUid,
} from "./dicom_codec.ts";
import {
  affineFromPlanes,
  alongNormal,
  type DicomPlane,
  planeOfSlice,
  sliceNormal,
} from "./dicom_geometry.ts";
import { SEGMENTATION_SOP_CLASS } from "./dicom_read.ts";
import { affineSpacing } from "./raster.ts";
import { checkDeclaredSize, volumeError, type VolumeLimits } from "./limits.ts";

const ANATOMICAL_STRUCTURE = {
  CodeValue: "91723000",
  CodingSchemeDesignator: "SCT",
  CodeMeaning: "Anatomical Structure",
};

/** Options of {@link encodeDicomSeg}. */
export interface DicomSegOptions {
  /** Segment label per label value (default `label 1`, `label 2`, …). */
  labels?: Record<number, string>;
  seriesDescription?: string;
}

/**
 * Encodes a label mask (values 0 … L, uint8-like) as a SEG referencing the series the mask's
 * geometry came from (`mask.source.dicom`: inference keeps the input's source).
 *
 * @throws UserError when the mask has no DICOM source series, its slice count differs from the
 *   series', or a value is not a label (0 … 255 integers)
 */
export function encodeDicomSeg(mask: Volume, options: DicomSegOptions = {}): Uint8Array {
  const path = mask.source?.path ?? "mask";
  const reference = mask.source?.dicom;
  if (reference === undefined) {
    throw volumeError(
      path,
      "a DICOM SEG references the DICOM series it segments: this mask was not made for a DICOM " +
        "series (segment the series' folder, or give the series with --reference)",
    );
  }
  const [columns, rows, slices] = mask.shape;
  if (reference.instances.length !== slices || mask.channels !== 1) {
    throw volumeError(
      path,
      `mask has ${slices} slice(s) x ${mask.channels} channel(s), the series ${reference.instances.length} slices`,
    );
  }
  let labels = 0;
  for (const v of mask.data) {
    if (!Number.isInteger(v) || v < 0 || v > 255) {
      throw volumeError(path, `value ${v} is not a label (an integer 0 … 255)`);
    }
    if (v > labels) labels = v;
  }
  const planes = Array.from({ length: slices }, (_, k) => planeOfSlice(mask.affine, k));
  const perFrame = rows * columns;
  const frames = labels * slices;
  const bits = new Uint8Array(Math.ceil((frames * perFrame) / 8));
  const perFrameGroups: DicomDataset[] = [];
  for (let segment = 1; segment <= labels; segment++) {
    for (let k = 0; k < slices; k++) {
      const frame = (segment - 1) * slices + k;
      for (let v = 0; v < perFrame; v++) {
        // BINARY frames are packed back to back, least significant bit first (PS3.5 8.1.1).
        if (mask.data[k * perFrame + v] === segment) {
          const bit = frame * perFrame + v;
          bits[bit >> 3] |= 1 << (bit & 7);
        }
      }
      perFrameGroups.push(frameGroup(segment, k, planes[k], reference.instances[k]));
    }
  }
  const [plane] = planes;
  const thickness = Math.hypot(mask.affine[0][2], mask.affine[1][2], mask.affine[2][2]);
  const now = new Date().toISOString();
  return encodeDicom({
    ...reference.patientStudy,
    StudyInstanceUID: reference.studyInstanceUid,
    SOPClassUID: SEGMENTATION_SOP_CLASS,
    SOPInstanceUID: newUid(),
    Modality: "SEG",
    SeriesInstanceUID: newUid(),
    SeriesNumber: 300,
    SeriesDescription: options.seriesDescription ?? "LLM-SegNet segmentation",
    InstanceNumber: 1,
    FrameOfReferenceUID: reference.frameOfReferenceUid,
    Manufacturer: "LLM-SegNet",
    ManufacturerModelName: "llmseg",
    SoftwareVersions: "1",
    DeviceSerialNumber: "1",
    ContentLabel: "SEGMENTATION",
    ContentDescription: "LLM-SegNet segmentation",
    ContentCreatorName: "llmseg",
    ContentDate: now.slice(0, 10).replaceAll("-", ""),
    ContentTime: now.slice(11, 19).replaceAll(":", ""),
    ImageType: ["DERIVED", "PRIMARY"],
    SegmentationType: "BINARY",
    SamplesPerPixel: 1,
    PhotometricInterpretation: "MONOCHROME2",
    Rows: rows,
    Columns: columns,
    NumberOfFrames: frames,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: "00",
    DimensionOrganizationType: "3D",
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: DIMENSION_UID }],
    DimensionIndexSequence: [
      dimension(0x0062000b, 0x0062000a, "ReferencedSegmentNumber"),
      dimension(0x00200032, 0x00209113, "ImagePositionPatient"),
    ],
    SegmentSequence: Array.from({ length: labels }, (_, s) => ({
      SegmentNumber: s + 1,
      SegmentLabel: options.labels?.[s + 1] ?? `label ${s + 1}`,
      SegmentAlgorithmType: "AUTOMATIC",
      SegmentAlgorithmName: "LLM-SegNet",
      SegmentedPropertyCategoryCodeSequence: [ANATOMICAL_STRUCTURE],
      SegmentedPropertyTypeCodeSequence: [ANATOMICAL_STRUCTURE],
    })),
    SharedFunctionalGroupsSequence: [{
      PixelMeasuresSequence: [{
        PixelSpacing: plane.pixelSpacing.map(dicomDecimal),
        SliceThickness: dicomDecimal(thickness),
        SpacingBetweenSlices: dicomDecimal(thickness),
      }],
      PlaneOrientationSequence: [{ ImageOrientationPatient: plane.orientation.map(dicomDecimal) }],
    }],
    PerFrameFunctionalGroupsSequence: perFrameGroups,
    ReferencedSeriesSequence: [{
      SeriesInstanceUID: reference.seriesInstanceUid,
      ReferencedInstanceSequence: reference.instances.map((i) => ({
        ReferencedSOPClassUID: i.sopClassUid,
        ReferencedSOPInstanceUID: i.sopInstanceUid,
      })),
    }],
    PixelData: bits.buffer,
    _vrMap: { PixelData: "OB" },
  });
}

/** A fixed UID for this writer's dimension organisation. */
const DIMENSION_UID = "2.25.236436960546513744016405049012519390161";

function dimension(pointer: number, group: number, label: string): DicomDataset {
  return {
    DimensionOrganizationUID: DIMENSION_UID,
    DimensionIndexPointer: tagText(pointer),
    FunctionalGroupPointer: tagText(group),
    DimensionDescriptionLabel: label,
  };
}

/** An AT value as dcmjs writes it: the tag as 8 hex digits. */
function tagText(tag: number): string {
  return tag.toString(16).padStart(8, "0").toUpperCase();
}

function frameGroup(
  segment: number,
  k: number,
  plane: DicomPlane,
  source: { sopClassUid: string; sopInstanceUid: string },
): DicomDataset {
  return {
    FrameContentSequence: [{ DimensionIndexValues: [segment, k + 1] }],
    PlanePositionSequence: [{ ImagePositionPatient: plane.position.map(dicomDecimal) }],
    SegmentIdentificationSequence: [{ ReferencedSegmentNumber: segment }],
    DerivationImageSequence: [{
      SourceImageSequence: [{
        ReferencedSOPClassUID: source.sopClassUid,
        ReferencedSOPInstanceUID: source.sopInstanceUid,
        PurposeOfReferenceCodeSequence: [{
          CodeValue: "121322",
          CodingSchemeDesignator: "DCM",
          CodeMeaning: "Source image for image processing operation",
        }],
      }],
      DerivationCodeSequence: [{
        CodeValue: "113076",
        CodingSchemeDesignator: "DCM",
        CodeMeaning: "Segmentation",
      }],
    }],
  };
}

/**
 * Reads a SEG dataset as a uint8 label map: each voxel holds the number of the (last) segment
 * covering it. Frames are placed by their ImagePositionPatient along the slice normal, spaced by
 * SpacingBetweenSlices (else the smallest gap between frame positions); FRACTIONAL frames count
 * above half their maximum.
 *
 * @throws UserError naming the file for missing geometry, a segment number above 255, or absurd
 *   dims
 */
export function decodeDicomSeg(dataset: DicomDataset, name: string, limits: VolumeLimits): Volume {
  const rows = Number(dataset.Rows);
  const columns = Number(dataset.Columns);
  const frames = Number(dataset.NumberOfFrames ?? 1);
  const shared = dicomItem(dataset, "SharedFunctionalGroupsSequence") ?? {};
  const perFrame = (dataset.PerFrameFunctionalGroupsSequence ?? []) as DicomDataset[];
  if (perFrame.length !== frames) {
    throw volumeError(name, `SEG has ${frames} frames but ${perFrame.length} per-frame groups`);
  }
  const nested = (group: DicomDataset, sequence: string, keyword: string): number[] => {
    const own = dicomItem(group, sequence);
    const fallback = dicomItem(shared, sequence);
    const values = dicomNumbers(own ?? {}, keyword);
    return values.length > 0 ? values : dicomNumbers(fallback ?? {}, keyword);
  };
  const orientation = nested(
    perFrame[0] ?? {},
    "PlaneOrientationSequence",
    "ImageOrientationPatient",
  );
  const pixelSpacing = nested(perFrame[0] ?? {}, "PixelMeasuresSequence", "PixelSpacing");
  if (orientation.length !== 6 || pixelSpacing.length !== 2) {
    throw volumeError(name, "SEG without ImageOrientationPatient / PixelSpacing: no geometry");
  }
  const normal = sliceNormal(orientation);
  const frameInfo = perFrame.map((group, f) => {
    const position = nested(group, "PlanePositionSequence", "ImagePositionPatient");
    const segment = nested(group, "SegmentIdentificationSequence", "ReferencedSegmentNumber")[0];
    if (position.length !== 3 || !(segment >= 1 && segment <= 255)) {
      throw volumeError(
        name,
        `SEG frame ${f + 1} has no position or a segment number outside 1 … 255`,
      );
    }
    return { position, segment, along: alongNormal(position, normal) };
  });
  const alongs = [...new Set(frameInfo.map((f) => f.along))].sort((a, b) => a - b);
  const gaps = alongs.slice(1).map((a, i) => a - alongs[i]).filter((g) => g > 1e-3);
  const spacing = nested(perFrame[0] ?? {}, "PixelMeasuresSequence", "SpacingBetweenSlices")[0] ||
    (gaps.length > 0 ? Math.min(...gaps) : 1);
  const first = frameInfo.reduce((a, b) => (b.along < a.along ? b : a));
  const slices = Math.round((alongs[alongs.length - 1] - alongs[0]) / spacing) + 1;
  const shape: [number, number, number] = [columns, rows, slices];
  checkDeclaredSize(name, shape, 1, limits);
  const bits = dicomPixelBytes(dataset, name);
  const binary = Number(dataset.BitsAllocated) === 1;
  const size = rows * columns;
  if (bits.length < Math.ceil((frames * size * (binary ? 1 : 8)) / 8)) {
    throw volumeError(name, `truncated SEG pixel data: ${bits.length} bytes for ${frames} frames`);
  }
  const threshold = Number(dataset.MaximumFractionalValue ?? 255) / 2;
  const labels = new Uint8Array(size * slices);
  frameInfo.forEach(({ segment, along }, f) => {
    const k = Math.round((along - alongs[0]) / spacing);
    for (let v = 0; v < size; v++) {
      const bit = f * size + v;
      const on = binary ? (bits[bit >> 3] >> (bit & 7)) & 1 : bits[bit] > threshold;
      if (on) labels[k * size + v] = segment;
    }
  });
  const step = normal.map((n) => n * spacing);
  const affine = affineFromPlanes({ orientation, pixelSpacing, position: first.position }, step);
  return {
    shape,
    channels: 1,
    data: labels,
    spacing: affineSpacing(affine),
    affine,
    source: { path: name, format: "dicom", datatype: "uint8" },
  };
}

/** True for a SEG dataset. */
export function isDicomSeg(dataset: DicomDataset): boolean {
  return dicomString(dataset, "SOPClassUID") === SEGMENTATION_SOP_CLASS;
}
