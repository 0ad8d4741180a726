import type { Affine, Volume, VoxelType } from "./volume.ts";
import { spacingAffine } from "./affine.ts";
import { locateVolume, splitReference } from "./format.ts";
import { isGzip } from "./gunzip.ts";
import { decodeHdf5, DEFAULT_HDF5_DATASET, inspectHdf5 } from "./hdf5_read.ts";
import { UserError } from "../errors.ts";
import { DEFAULT_LIMITS, formatBytes, volumeError, type VolumeLimits } from "./limits.ts";
import { dirname, resolve } from "node:path";
import { parseDicom } from "./dicom_codec.ts";
import { readDicomSeries } from "./dicom_read.ts";
import { decodeDicomSeg, isDicomSeg } from "./dicom_seg.ts";
import { parseMetaImageHeader } from "./metaimage_read.ts";
import { parseNrrdHeader } from "./nrrd_read.ts";
import { decodeRaster, type RasterHeader } from "./raster.ts";
import { parseNiftiFileHeader } from "./nifti_header.ts";
import { decodeNifti } from "./nifti_read.ts";
import { VOXEL_ARRAYS } from "./voxel_type.ts";

/** Options of {@link readVolume} and {@link decodeVolume}. */
export interface ReadVolumeOptions {
  /** Size limits (absurd dims, gzip bombs); default {@link DEFAULT_LIMITS}. */
  limits?: Partial<VolumeLimits>;
  /** Voxel size to record for HDF5, which stores none (LA: [0.625, 0.625, 0.625]); default 1 mm. */
  hdf5Spacing?: [number, number, number];
}

/**
 * Reads a volume file: `.nii`, `.nii.gz`, `.h5` with an optional `#dataset` fragment
 * (`case.h5` reads `image`, `case.h5#label` the label), NRRD (`.nrrd`, `.nhdr` + data file),
 * MetaImage (`.mha`, `.mhd` + data file), a DICOM SEG (`.dcm`), or a folder holding a DICOM
 * series (`folder#<SeriesInstanceUID>` picks one of several).
 *
 * @example
 * ```ts ignore
 * const label = await readVolume("../shared/data/la2018/<ID>/mri_norm2.h5#label");
 * label.shape; // [X, Y, Z], data i-fastest
 * ```
 * @throws UserError naming the file when it is missing or bad (see {@link decodeVolume})
 */
export async function readVolume(path: string, options: ReadVolumeOptions = {}): Promise<Volume> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const { file, fragment } = splitReference(path);
  if (await isFolder(file)) return await readDicomSeries(file, limits, fragment);
  const bytes = await readBytes(file, path, limits.maxBytes + FILE_SLACK);
  const location = locateVolume(path, bytes);
  if (location.format === "nrrd" || location.format === "metaimage") {
    const header = parseRasterHeader(location.format, bytes, path);
    // A detached header (.nhdr, .mhd) names its data file, relative to the header's folder.
    const data = header.dataFile === undefined
      ? bytes.subarray(header.headerLength)
      : await readBytes(
        resolve(dirname(file), header.dataFile),
        `${path} (data file ${header.dataFile})`,
        limits.maxBytes + FILE_SLACK,
      );
    return decodeRaster(header, data, path, limits);
  }
  return await decodeVolume(bytes, path, options);
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false; // readBytes reports a missing file
  }
}

/** Room for a header and extensions on top of the voxel-data limit when sizing a file. */
const FILE_SLACK = 1024 ** 2;

/**
 * Decodes a volume held in memory (an upload). `name` picks the format by extension (magic bytes
 * when it has none) and carries the `#dataset` fragment for HDF5; it names the file in errors.
 */
export async function decodeVolume(
  bytes: Uint8Array,
  name: string,
  options: ReadVolumeOptions = {},
): Promise<Volume> {
  const location = locateVolume(name, bytes);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  if (location.format === "nifti") return decodeNifti(bytes, location.file, limits);
  if (location.format === "nrrd" || location.format === "metaimage") {
    const header = parseRasterHeader(location.format, bytes, name);
    if (header.dataFile !== undefined) {
      throw volumeError(
        name,
        `detached header: its data is in '${header.dataFile}'; read from disk`,
      );
    }
    return decodeRaster(header, bytes.subarray(header.headerLength), name, limits);
  }
  if (location.format === "dicom") return decodeDicomFile(bytes, name, limits);
  return await decodeHdf5(
    bytes,
    location.file,
    location.dataset ?? DEFAULT_HDF5_DATASET,
    limits,
    options.hdf5Spacing,
  );
}

function parseRasterHeader(
  format: "nrrd" | "metaimage",
  bytes: Uint8Array,
  name: string,
): RasterHeader {
  return format === "nrrd" ? parseNrrdHeader(bytes, name) : parseMetaImageHeader(bytes, name);
}

/** A single DICOM file: a SEG reads as a label map; an image slice belongs to a series folder. */
function decodeDicomFile(bytes: Uint8Array, name: string, limits: VolumeLimits): Volume {
  const dataset = parseDicom(bytes, name);
  if (!isDicomSeg(dataset)) {
    throw volumeError(
      name,
      "a single DICOM image slice: give the folder that holds the whole series instead",
    );
  }
  return decodeDicomSeg(dataset, name, limits);
}

/** What a file's header declares, read without decoding the voxel data. */
export interface VolumeHeaderInfo {
  format: "nifti" | "hdf5";
  shape: [number, number, number];
  channels: number;
  datatype: VoxelType;
  /** mm; 1 mm for HDF5, which stores none. */
  spacing: [number, number, number];
  affine: Affine;
  /** Bytes of voxel data declared (all channels). */
  dataBytes: number;
}

/**
 * Validates an upload cheaply: magic, header, dims against the limits, and the byte count the
 * header implies against the bytes given (for `.nii.gz`, against the gzip trailer's size field),
 * inflating only the first bytes. HDF5 reads the dataset's metadata, not its values.
 *
 * @throws UserError naming the upload for any problem {@link decodeVolume} would report from the
 *   header alone
 */
export async function inspectVolumeHeader(
  bytes: Uint8Array,
  name: string,
  options: Pick<ReadVolumeOptions, "limits"> = {},
): Promise<VolumeHeaderInfo> {
  const location = locateVolume(name, bytes);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  if (location.format !== "nifti" && location.format !== "hdf5") {
    // The service stores NIfTI and HDF5 scans; other formats are converted on the user's side.
    throw volumeError(
      name,
      `${location.format} uploads are not accepted (NIfTI or HDF5): convert to NIfTI first; the ` +
        "llmseg command line reads NRRD, MetaImage and DICOM directly",
    );
  }
  if (location.format === "hdf5") {
    const { shape, datatype } = await inspectHdf5(
      bytes,
      location.file,
      location.dataset ?? DEFAULT_HDF5_DATASET,
      limits,
    );
    const dataBytes = shape.reduce((a, b) => a * b, 1) * VOXEL_ARRAYS[datatype].BYTES_PER_ELEMENT;
    return {
      format: "hdf5",
      shape,
      channels: 1,
      datatype,
      spacing: [1, 1, 1],
      affine: spacingAffine([1, 1, 1]),
      dataBytes,
    };
  }
  const gzip = isGzip(bytes);
  const header = parseNiftiFileHeader(bytes, name, limits);
  const need = header.voxOffset + header.dataBytes;
  const available = gzip ? gzipDeclaredSize(bytes) : bytes.length;
  // ISIZE is the size modulo 2^32: only comparable when the declared size is below that.
  if (available < need && (!gzip || need < 2 ** 32)) {
    throw volumeError(
      name,
      `header declares ${need} bytes (offset ${header.voxOffset} + voxel data), ` +
        `but the ${gzip ? "gzip stream holds" : "file has"} ${available}`,
    );
  }
  const { shape, channels, datatype, spacing, affine, dataBytes } = header;
  return { format: "nifti", shape, channels, datatype, spacing, affine, dataBytes };
}

/** The gzip trailer's ISIZE: the inflated size modulo 2^32. */
function gzipDeclaredSize(bytes: Uint8Array): number {
  if (bytes.length < 18) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .getUint32(bytes.byteLength - 4, true);
}

/** The file's bytes; a file larger than `maxBytes` is refused before it is read. */
async function readBytes(file: string, reference: string, maxBytes: number): Promise<Uint8Array> {
  try {
    const { size } = await Deno.stat(file);
    if (size > maxBytes) {
      throw volumeError(
        reference,
        `file is ${formatBytes(size)}, over the limit of ${formatBytes(maxBytes)}`,
      );
    }
    return await Deno.readFile(file);
  } catch (error) {
    if (error instanceof UserError) throw error;
    if (error instanceof Deno.errors.NotFound) throw volumeError(reference, "file not found");
    if (error instanceof Deno.errors.IsADirectory) throw volumeError(reference, "is a directory");
    throw volumeError(reference, `cannot read (${(error as Error).message})`);
  }
}
