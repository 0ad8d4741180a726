/**
 * What the page checks before sending a file: a known scan extension and a non-empty body. The
 * edge validates the header itself; this only spares a pointless upload.
 */

/** File name endings the edge accepts (NIfTI-1 and HDF5). */
export const scanExtensions = [".nii", ".nii.gz", ".h5", ".hdf5"] as const;

/** Why `name`/`size` cannot be a scan, or undefined when it may be one. */
export function scanFileProblem(name: string, size: number): string | undefined {
  const lower = name.toLowerCase();
  if (!scanExtensions.some((ext) => lower.endsWith(ext))) {
    return `${name}: not a scan file (expected ${scanExtensions.join(", ")})`;
  }
  if (size === 0) return `${name}: the file is empty`;
  return undefined;
}
