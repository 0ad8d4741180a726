/** Voxel storage types a {@link Volume} can hold. */
export type VoxelArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

/** Names of the voxel storage types, as a file header states them. */
export type VoxelType =
  | "uint8"
  | "int8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "float32"
  | "float64";

/** A 4x4 voxel-to-world (RAS+, millimetres) affine, row-major: `world = affine · [i, j, k, 1]`. */
export type Affine = [
  [number, number, number, number],
  [number, number, number, number],
  [number, number, number, number],
  [number, number, number, number],
];

/**
 * One scan or mask in memory.
 *
 * Layout: voxel (i, j, k) of channel c lives at `data[c·X·Y·Z + i + j·X + k·X·Y]` (i fastest, as
 * NIfTI stores it), where `shape = [X, Y, Z]`. An h5py array `a[i, j, k]` is the same voxel
 * (i, j, k), so an HDF5 label and a NIfTI prediction of one case line up.
 */
export interface Volume<T extends VoxelArray = VoxelArray> {
  /** Spatial size [X, Y, Z] in voxels. */
  shape: [number, number, number];
  /** Number of channels (modalities); 1 for a plain scan or a mask. */
  channels: number;
  data: T;
  /** Voxel size in millimetres along i, j, k. */
  spacing: [number, number, number];
  /** Voxel-to-world affine; the identity scaled by spacing when the source has none (HDF5). */
  affine: Affine;
  /** Where the volume came from, for messages and for writing a result in the same geometry. */
  source?: VolumeSource;
}

/** File formats read: NIfTI-1/-2, HDF5, NRRD, MetaImage (.mha/.mhd), DICOM (series, SEG). */
export type VolumeFormat = "nifti" | "hdf5" | "nrrd" | "metaimage" | "dicom";

/** Provenance kept with a volume so a mask written for it keeps its geometry. */
export interface VolumeSource {
  /** Path (with `#dataset` fragment for HDF5; the folder for a DICOM series) or upload name. */
  path: string;
  format: VolumeFormat;
  /** The voxel type stored in the file (before any `scl_slope` scaling). */
  datatype?: VoxelType;
  /** The raw NIfTI header bytes (348 or 540), when read from NIfTI. */
  niftiHeader?: Uint8Array;
  /** The DICOM series read, so a DICOM SEG of a mask for it can reference its slices. */
  dicom?: DicomSeriesReference;
}

/** The identity of a DICOM series a volume was read from (what a SEG must reference). */
export interface DicomSeriesReference {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  frameOfReferenceUid: string;
  /** SOP class and instance UID of each slice, in k order. */
  instances: { sopClassUid: string; sopInstanceUid: string }[];
  /** Patient and study attributes (dcmjs keyword → value) a derived object copies. */
  patientStudy: Record<string, unknown>;
}
