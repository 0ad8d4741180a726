import { isGzip } from "./gunzip.ts";
import { isHdf5 } from "./hdf5_read.ts";
import { volumeError } from "./limits.ts";
import { isNrrd } from "./nrrd_read.ts";
import { isMetaImage } from "./metaimage_read.ts";
import { isDicom } from "./dicom_codec.ts";
import type { VolumeFormat } from "./volume.ts";

/** A volume reference split into its file and, for HDF5, the dataset named by `#fragment`. */
export interface VolumeLocation {
  file: string;
  format: VolumeFormat;
  /** HDF5 dataset; undefined for other formats and for an `.h5` reference without a fragment. */
  dataset?: string;
}

const HDF5_NAME = /\.(h5|hdf5|hdf)$/i;
const NIFTI_NAME = /\.nii(\.gz)?$/i;
const NRRD_NAME = /\.(nrrd|nhdr)$/i;
const METAIMAGE_NAME = /\.(mha|mhd)$/i;
const DICOM_NAME = /\.dcm$/i;
/** Names that never carry a fragment, so `#` may appear in them. */
const PLAIN_NAME = /\.(nii(\.gz)?|nrrd|nhdr|mha|mhd|dcm)$/i;

/**
 * Splits `case.h5#label` into the file and the fragment (also `series-folder#<SeriesInstanceUID>`).
 * A name ending in a single-file extension (`.nii.gz`, `.nrrd`, `.mha`, `.dcm`, …) has no
 * fragment, so `#` may appear in such file names.
 */
export function splitReference(reference: string): { file: string; fragment?: string } {
  const hash = reference.lastIndexOf("#");
  if (hash < 0 || PLAIN_NAME.test(reference)) return { file: reference };
  return { file: reference.slice(0, hash), fragment: reference.slice(hash + 1) };
}

/**
 * Picks the format of a reference from its extension, or from the magic bytes when the name has
 * no known extension (uploads, renamed files).
 */
export function locateVolume(reference: string, bytes: Uint8Array): VolumeLocation {
  const { file, fragment } = splitReference(reference);
  if (fragment === "") throw volumeError(reference, "empty '#dataset' fragment");
  const known = [NIFTI_NAME, NRRD_NAME, METAIMAGE_NAME, DICOM_NAME].some((r) => r.test(file));
  if (HDF5_NAME.test(file) || (!known && isHdf5(bytes))) {
    return { file, format: "hdf5", dataset: fragment };
  }
  if (fragment !== undefined) {
    throw volumeError(reference, "a '#dataset' fragment applies only to HDF5 (.h5) files");
  }
  const format: VolumeFormat | undefined = NIFTI_NAME.test(file)
    ? "nifti"
    : NRRD_NAME.test(file) || isNrrd(bytes)
    ? "nrrd"
    : METAIMAGE_NAME.test(file) || isMetaImage(bytes)
    ? "metaimage"
    : DICOM_NAME.test(file) || isDicom(bytes)
    ? "dicom"
    : isGzip(bytes) || isNiftiSized(bytes)
    ? "nifti"
    : undefined;
  if (format === undefined) {
    throw volumeError(
      reference,
      "unsupported file type (expected .nii, .nii.gz, .h5 with an optional #dataset, .nrrd, " +
        ".nhdr, .mha, .mhd, a DICOM SEG .dcm, or a folder holding a DICOM series)",
    );
  }
  return { file, format };
}

/** sizeof_hdr 348 or 540 in either byte order. */
function isNiftiSized(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  return [348, 540].some((n) => view.getInt32(0, true) === n || view.getInt32(0, false) === n);
}
