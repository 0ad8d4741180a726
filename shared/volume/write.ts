import type { Volume } from "./volume.ts";
import { volumeError } from "./limits.ts";
import { writeFileAtomic } from "../write_atomic.ts";
import { encodeNifti, type EncodeNiftiOptions } from "./nifti_write.ts";
import { encodeDicomSeg } from "./dicom_seg.ts";

/** Options of {@link writeVolume}: those of {@link encodeNifti} except `gzip`, taken from the path. */
export type WriteVolumeOptions = Omit<EncodeNiftiOptions, "gzip">;

/**
 * Writes a volume as NIfTI-1 (`.nii.gz` gzipped, `.nii` plain) or, for a label mask of a volume
 * read from a DICOM series, as a DICOM SEG (`.dcm`, {@link encodeDicomSeg}). The file appears
 * whole or not at all: the bytes go to a temporary file beside it, which is then renamed over the
 * target.
 *
 * @example
 * ```ts ignore
 * await writeVolume("pred.nii.gz", mask, { datatype: "uint8" });
 * ```
 */
export async function writeVolume(
  path: string,
  volume: Volume,
  options: WriteVolumeOptions = {},
): Promise<void> {
  const gzip = /\.nii\.gz$/i.test(path);
  const dicom = /\.dcm$/i.test(path);
  if (!gzip && !dicom && !/\.nii$/i.test(path)) {
    throw volumeError(
      path,
      "can write NIfTI (.nii, .nii.gz) or a DICOM SEG of a mask (.dcm); a DICOM series is " +
        "written by writeDicomSeries",
    );
  }
  const bytes = dicom ? encodeDicomSeg(volume) : encodeNifti(volume, { ...options, gzip });
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw volumeError(path, "folder does not exist");
    throw error;
  }
}
