import type { Volume } from "./volume.ts";
import { volumeError } from "./limits.ts";
import { writeFileAtomic } from "../write_atomic.ts";
import { encodeNifti, type EncodeNiftiOptions } from "./nifti_write.ts";

/** Options of {@link writeVolume}: those of {@link encodeNifti} except `gzip`, taken from the path. */
export type WriteVolumeOptions = Omit<EncodeNiftiOptions, "gzip">;

/**
 * Writes a volume as NIfTI-1: `.nii.gz` gzipped, `.nii` plain. The file appears whole or not at
 * all: the bytes go to a temporary file beside it, which is then renamed over the target.
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
  if (!gzip && !/\.nii$/i.test(path)) {
    throw volumeError(path, "can only write NIfTI: the name must end in .nii or .nii.gz");
  }
  const bytes = encodeNifti(volume, { ...options, gzip });
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw volumeError(path, "folder does not exist");
    throw error;
  }
}
