import { isGzip } from "./gunzip.ts";
import { isHdf5 } from "./hdf5_read.ts";
import { volumeError } from "./limits.ts";

/** A volume reference split into its file and, for HDF5, the dataset named by `#fragment`. */
export interface VolumeLocation {
  file: string;
  format: "nifti" | "hdf5";
  /** HDF5 dataset; undefined for NIfTI. */
  dataset?: string;
}

const HDF5_NAME = /\.(h5|hdf5|hdf)$/i;
const NIFTI_NAME = /\.nii(\.gz)?$/i;

/**
 * Splits `case.h5#label` into file and dataset and picks the format from the extension, falling
 * back to the magic bytes when `bytes` are given and the name says nothing (uploads).
 */
export function locateVolume(reference: string, bytes?: Uint8Array): VolumeLocation {
  const hash = reference.lastIndexOf("#");
  const file = hash >= 0 ? reference.slice(0, hash) : reference;
  const fragment = hash >= 0 ? reference.slice(hash + 1) : undefined;
  if (HDF5_NAME.test(file) || (!NIFTI_NAME.test(file) && bytes && isHdf5(bytes))) {
    if (fragment === "") throw volumeError(reference, "empty '#dataset' fragment");
    return { file, format: "hdf5", dataset: fragment };
  }
  if (NIFTI_NAME.test(reference) || (bytes && (isGzip(bytes) || isNiftiSized(bytes)))) {
    return { file: reference, format: "nifti" };
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
