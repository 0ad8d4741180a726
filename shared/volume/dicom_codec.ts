/**
 * DICOM Part 10 files through dcmjs (the maintained DICOMweb/OHIF toolkit): parsing to dcmjs's
 * "naturalized" datasets (keyword → value, sequences as arrays of datasets) and writing them back.
 * This module gives dcmjs's untyped API the few types the readers and writers here use.
 */
import dcmjsModule from "dcmjs";
import { volumeError } from "./limits.ts";

/** A naturalized dataset: DICOM keyword → value (numbers, strings, arrays, sequences, buffers). */
export type DicomDataset = Record<string, unknown>;

/** dcmjs's denaturalized element map (tag → { vr, Value }). */
type DicomElements = Record<string, unknown>;

interface Dcmjs {
  data: {
    DicomMessage: {
      readFile(
        buffer: ArrayBuffer,
        options?: { ignoreErrors?: boolean },
      ): { meta: DicomElements; dict: DicomElements };
    };
    DicomMetaDictionary: {
      naturalizeDataset(elements: DicomElements): DicomDataset;
      denaturalizeDataset(dataset: DicomDataset): DicomElements;
      uid(): string;
    };
    DicomDict: new (meta: DicomElements) => { dict: DicomElements; write(): ArrayBuffer };
  };
  log: { setLevel(level: string): void };
}

const dcmjs = dcmjsModule as unknown as Dcmjs;
dcmjs.log.setLevel("error");

/** Explicit VR little endian: what the writers here use. */
export const EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
/** Transfer syntaxes whose pixel data is stored uncompressed, little-endian. */
const UNCOMPRESSED = new Map([
  ["1.2.840.10008.1.2", "implicit VR little endian"],
  [EXPLICIT_VR_LITTLE_ENDIAN, "explicit VR little endian"],
]);

/** Names of common compressed syntaxes, for the refusal message. */
const COMPRESSED: Record<string, string> = {
  "1.2.840.10008.1.2.1.99": "deflated explicit VR little endian",
  "1.2.840.10008.1.2.2": "explicit VR big endian (retired)",
  "1.2.840.10008.1.2.4.50": "JPEG baseline",
  "1.2.840.10008.1.2.4.51": "JPEG extended",
  "1.2.840.10008.1.2.4.57": "JPEG lossless",
  "1.2.840.10008.1.2.4.70": "JPEG lossless SV1",
  "1.2.840.10008.1.2.4.80": "JPEG-LS lossless",
  "1.2.840.10008.1.2.4.81": "JPEG-LS near-lossless",
  "1.2.840.10008.1.2.4.90": "JPEG 2000 lossless",
  "1.2.840.10008.1.2.4.91": "JPEG 2000",
  "1.2.840.10008.1.2.5": "RLE lossless",
};

/** True when `bytes` carry the Part 10 preamble magic `DICM` at offset 128. */
export function isDicom(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 &&
    bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/**
 * Parses a DICOM Part 10 file whose pixel data, if any, is uncompressed little endian.
 *
 * @throws UserError naming the file when it is not DICOM, is corrupt, or uses a compressed (or
 *   big-endian) transfer syntax, which would need a decoder: the message names the syntax and how
 *   to convert (`gdcmconv --raw`, `dcmdjpeg`)
 */
export function parseDicom(bytes: Uint8Array, name: string): DicomDataset {
  if (!isDicom(bytes)) throw volumeError(name, "not a DICOM Part 10 file (no DICM at byte 128)");
  let parsed: { meta: DicomElements; dict: DicomElements };
  try {
    const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    parsed = dcmjs.data.DicomMessage.readFile(copy as ArrayBuffer);
  } catch (error) {
    throw volumeError(name, `corrupt DICOM file (${(error as Error).message})`);
  }
  const meta = dcmjs.data.DicomMetaDictionary.naturalizeDataset(parsed.meta);
  const syntax = String(meta.TransferSyntaxUID ?? "");
  if (!UNCOMPRESSED.has(syntax)) {
    throw volumeError(
      name,
      `transfer syntax ${syntax} (${COMPRESSED[syntax] ?? "unknown"}) is not read: only ` +
        "uncompressed little-endian DICOM is; convert first, e.g. `gdcmconv --raw in.dcm out.dcm` " +
        "or `dcmdjpeg in.dcm out.dcm`",
    );
  }
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(parsed.dict);
}

/** Writes `dataset` as a Part 10 file in explicit VR little endian, with its file meta header. */
export function encodeDicom(dataset: DicomDataset): Uint8Array {
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_UID,
    ImplementationVersionName: "LLMSEG_1",
  };
  const file = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  file.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(file.write());
}

/** A new UID (dcmjs: `2.25.` + a random 128-bit integer, as PS3.5 B.2 allows). */
export function newUid(): string {
  return dcmjs.data.DicomMetaDictionary.uid();
}

/** This writer's implementation class UID (a fixed UUID-derived `2.25.` UID). */
const IMPLEMENTATION_UID = "2.25.167535866937958823014655219414839208193";

/** A dataset's value as a string ("" when absent). */
export function dicomString(dataset: DicomDataset, keyword: string): string {
  const value = dataset[keyword];
  if (value === undefined || value === null) return "";
  return Array.isArray(value) ? String(value[0] ?? "") : String(value);
}

/** A dataset's numeric value(s) (multi-valued DS/IS/US as arrays); `[]` when absent. */
export function dicomNumbers(dataset: DicomDataset, keyword: string): number[] {
  const value = dataset[keyword];
  if (value === undefined || value === null || value === "") return [];
  return (Array.isArray(value) ? value : [value]).map(Number);
}

/** The first item of a sequence, or undefined. */
export function dicomItem(dataset: DicomDataset, keyword: string): DicomDataset | undefined {
  const value = dataset[keyword];
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return items[0] as DicomDataset | undefined;
}

/** All pixel data bytes of a dataset (uncompressed: one buffer, or fragments joined). */
export function dicomPixelBytes(dataset: DicomDataset, name: string): Uint8Array {
  const value = dataset.PixelData;
  const buffers = (Array.isArray(value) ? value : [value]).filter((b) => b instanceof ArrayBuffer);
  if (buffers.length === 0) throw volumeError(name, "DICOM file has no pixel data");
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  buffers.reduce((at, b) => (out.set(new Uint8Array(b), at), at + b.byteLength), 0);
  return out;
}

/** A number as a DICOM decimal string (DS: at most 16 characters, so 15 significant digits or fewer). */
export function dicomDecimal(value: number): string {
  const clean = Math.abs(value) < 1e-12 ? 0 : value;
  for (let digits = 15; digits > 1; digits--) {
    const text = String(Number(clean.toPrecision(digits)));
    if (text.length <= 16) return text;
  }
  return clean.toExponential(8);
}
