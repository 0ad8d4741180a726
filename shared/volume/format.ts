import { isGzip } from "./gunzip.ts";
import { isHdf5 } from "./hdf5_read.ts";
import { volumeError } from "./limits.ts";

/** A volume reference split into its file and, for HDF5, the dataset named by `#fragment`. */
export interface VolumeLocation {
  file: string;
  format: "nifti" | "hdf5";
  /** HDF5 dataset; undefined for NIfTI and for an `.h5` reference without a fragment. */
  dataset?: string;
}

const HDF5_NAME = /\.(h5|hdf5|hdf)$/i;
const NIFTI_NAME = /\.nii(\.gz)?$/i;

/**
 * Splits `case.h5#label` into the file and the fragment. A name ending in `.nii`/`.nii.gz` has
 * no fragment, so `#` may appear in NIfTI file names.
 */
export function splitReference(reference: string): { file: string; fragment?: string } {
  const hash = reference.lastIndexOf("#");
  if (hash < 0 || NIFTI_NAME.test(reference)) return { file: reference };
  return { file: reference.slice(0, hash), fragment: reference.slice(hash + 1) };
}

/**
 * Picks the format of a reference from its extension, or from the magic bytes when the name has
 * no known extension (uploads, renamed files).
 */
export function locateVolume(reference: string, bytes: Uint8Array): VolumeLocation {
  const { file, fragment } = splitReference(reference);
  if (fragment === "") throw volumeError(reference, "empty '#dataset' fragment");
  if (HDF5_NAME.test(file) || (!NIFTI_NAME.test(file) && isHdf5(bytes))) {
    return { file, format: "hdf5", dataset: fragment };
  }
  if (fragment !== undefined) {
    throw volumeError(reference, "a '#dataset' fragment applies only to HDF5 (.h5) files");
  }
  if (NIFTI_NAME.test(file) || isGzip(bytes) || isNiftiSized(bytes)) {
    return { file, format: "nifti" };
  }
  throw volumeError(
    reference,
    "unsupported file type (expected .nii, .nii.gz, or .h5 with an optional #dataset)",
  );
}

/** sizeof_hdr 348 or 540 in either byte order. */
function isNiftiSized(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  return [348, 540].some((n) => view.getInt32(0, true) === n || view.getInt32(0, false) === n);
}
