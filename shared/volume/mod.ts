/**
 * Volumes: reading NIfTI-1/-2, HDF5, NRRD, MetaImage and DICOM (series, SEG) scans and masks into
 * one {@link Volume} type, writing NIfTI masks (or DICOM SEG, DICOM series) in the scan's own
 * geometry, and the geometry operations a pipeline needs.
 */
export type {
  Affine,
  DicomSeriesReference,
  Volume,
  VolumeFormat,
  VolumeSource,
  VoxelArray,
  VoxelType,
} from "./volume.ts";
export { DEFAULT_LIMITS, type VolumeLimits } from "./limits.ts";
export {
  decodeVolume,
  inspectVolumeHeader,
  readVolume,
  type ReadVolumeOptions,
  type VolumeHeaderInfo,
} from "./read.ts";
export { encodeNifti, type EncodeNiftiOptions } from "./nifti_write.ts";
export { writeVolume, type WriteVolumeOptions } from "./write.ts";
export { type DicomSeriesOptions, encodeDicomSeries, writeDicomSeries } from "./dicom_write.ts";
export { type DicomSegOptions, encodeDicomSeg } from "./dicom_seg.ts";
export { spacingAffine } from "./affine.ts";
export { voxelTypeOf } from "./voxel_type.ts";
export { type AxisCodes, axisCodes, reorient } from "./orient.ts";
export { describeVolume, type VolumeDescription } from "./describe.ts";
export { type Grid, type Interpolation, resampleToGrid, resampleToSpacing } from "./resample.ts";
export { cropOrPad, foregroundBox, padToAtLeast, type VoxelBox } from "./crop_pad.ts";
export { windowIntensities } from "./window.ts";
