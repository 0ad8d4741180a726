import { z } from "zod";

/** Voxel storage types a scan can hold (NIfTI / HDF5 names mapped to one vocabulary). */
export const Datatype = z.enum([
  "uint8",
  "int8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "float32",
  "float64",
]);
export type Datatype = z.infer<typeof Datatype>;

/**
 * What a scan is, said by the uploader: an `image` or a `label` (segmentation). An MSD/nnU-Net
 * folder names both `case.nii.gz`, so the name alone cannot tell; datasets refuse a scan in the
 * other role. Scans uploaded without one may take either.
 */
export const ScanRole = z.enum(["image", "label"]);
export type ScanRole = z.infer<typeof ScanRole>;

/** What the edge answers for an accepted scan upload (`POST /v1/scans`). */
export const Scan = z.object({
  id: z.string(),
  name: z.string(),
  format: z.enum(["nifti", "hdf5"]),
  shape: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  channels: z.number().int(),
  spacing: z.tuple([z.number(), z.number(), z.number()]),
  datatype: Datatype,
  /**
   * The distinct voxel values, sorted, tallied while a NIfTI upload streams: at most 256 (a
   * label's classes), or null when there are more (an image). Absent for HDF5 uploads and scans
   * stored before it; a dataset then decodes the label to check it.
   */
  distinctValues: z.array(z.number()).max(256).nullable().optional(),
  bytes: z.number().int(),
  role: ScanRole.optional(),
  /** SHA-256 of the file as uploaded (hex): finds the same scan uploaded twice. */
  sha256: z.string().optional(),
  /** Blob key of the stored file (internal; never a path a client can use). */
  blobKey: z.string(),
  createdAt: z.string(),
});
export type Scan = z.infer<typeof Scan>;

/** A scan as clients see it: the stored record without its internal blob key. */
export const PublicScan = Scan.omit({ blobKey: true });
export type PublicScan = z.infer<typeof PublicScan>;
