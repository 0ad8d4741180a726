import { gzipSync } from "fflate";
import { NIFTI1 } from "nifti-reader-js";
import type { Volume, VoxelArray, VoxelType } from "./volume.ts";
import { affineDistance, affineToQuaternion } from "./affine.ts";
import { volumeError } from "./limits.ts";
import { NIFTI_DATATYPE_CODES, type NiftiGeometry, parseNiftiHeader } from "./nifti_header.ts";
import {
  allocateVoxels,
  integerRange,
  isIntegerType,
  VOXEL_ARRAYS,
  voxelTypeOf,
} from "./voxel_type.ts";

/** Options of {@link encodeNifti}. */
export interface EncodeNiftiOptions {
  /** Stored voxel type; default the data's own. Integer types round float data (masks: uint8). */
  datatype?: VoxelType;
  /** gzip the result (`.nii.gz`); default true. */
  gzip?: boolean;
  /** Header `descrip` text, at most 79 bytes kept. */
  description?: string;
}

/** NIfTI-1 `xyzt_units`: millimetres and seconds. */
const UNITS_MM_SEC = 2 | 8;
/** NIFTI_XFORM_ALIGNED_ANAT: the code for an affine of unknown provenance (nibabel's default). */
const XFORM_ALIGNED = 2;
/** Header (348) plus the 4 extension-flag bytes. */
const VOX_OFFSET = 352;

/**
 * Encodes a volume as a single-file NIfTI-1 (`n+1`), little-endian, optionally gzipped.
 *
 * Geometry: when `volume.source` carries a NIfTI header of the same spatial shape and affine (a
 * mask predicted for that scan), its qform, sform, pixdim and units are copied verbatim, so the
 * mask opens in nibabel, ITK-SNAP and 3D Slicer exactly on top of the scan. Otherwise both qform
 * and sform are set from `volume.affine` (codes from the source header when it has them, else
 * "aligned"). Several channels are written as a 4-D file (dim[4] = channels).
 *
 * @throws UserError when a value does not fit the chosen integer datatype, or a dim exceeds
 *   NIfTI-1's 32767
 */
export function encodeNifti(volume: Volume, options: EncodeNiftiOptions = {}): Uint8Array {
  const name = volume.source?.path ?? "volume";
  const datatype = options.datatype ?? voxelTypeOf(volume.data);
  const [x, y, z] = volume.shape;
  for (const d of [x, y, z, volume.channels]) {
    if (d > 32767) throw volumeError(name, `dimension ${d} exceeds NIfTI-1's limit of 32767`);
  }
  const data = convertVoxels(volume.data, datatype, name);
  const geometry = geometryFor(volume);

  const header = new NIFTI1();
  header.littleEndian = true;
  header.dims = [volume.channels > 1 ? 4 : 3, x, y, z, volume.channels, 1, 1, 1];
  header.datatypeCode = NIFTI_DATATYPE_CODES[datatype];
  header.numBitsPerVoxel = VOXEL_ARRAYS[datatype].BYTES_PER_ELEMENT * 8;
  header.pixDims = [geometry.qfac, ...geometry.pixdim, 1, 1, 1, 1];
  header.vox_offset = VOX_OFFSET;
  header.scl_slope = 1;
  header.scl_inter = 0;
  header.xyzt_units = geometry.xyztUnits;
  header.dim_info = geometry.dimInfo;
  header.description = truncateUtf8(options.description ?? "llmseg", 79);
  header.qform_code = geometry.qformCode;
  header.sform_code = geometry.sformCode;
  [header.quatern_b, header.quatern_c, header.quatern_d] = geometry.quaternion;
  [header.qoffset_x, header.qoffset_y, header.qoffset_z] = geometry.qoffset;
  // toArrayBuffer writes `affine`'s first three rows as srow_x/y/z.
  header.affine = geometry.srow.map((row) => [...row]);
  header.magic = "n+1";

  const headerBytes = new Uint8Array(header.toArrayBuffer(false));
  const file = new Uint8Array(VOX_OFFSET + data.byteLength);
  file.set(headerBytes.subarray(0, VOX_OFFSET));
  file.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), VOX_OFFSET);
  // mtime 0 leaves the gzip header's timestamp empty, so the same volume always gives the same bytes.
  return options.gzip === false ? file : gzipSync(file, { level: 6, mtime: 0 });
}

/**
 * The source header's geometry when the volume still sits on that header's grid, else qform and
 * sform both from `volume.affine` (nibabel `set_qform`/`set_sform`), keeping the source's codes.
 */
function geometryFor(volume: Volume): NiftiGeometry {
  const source = volume.source?.niftiHeader
    ? parseNiftiHeader(volume.source.niftiHeader, volume.source.path, HEADER_ONLY_LIMITS)
    : undefined;
  if (
    source && source.shape.every((d, i) => d === volume.shape[i]) &&
    affineDistance(source.affine, volume.affine) < 1e-6
  ) {
    return source.geometry;
  }
  const { quaternion, pixdim, qfac } = affineToQuaternion(volume.affine);
  const a = volume.affine;
  return {
    qformCode: source?.geometry.qformCode || XFORM_ALIGNED,
    sformCode: source?.geometry.sformCode || XFORM_ALIGNED,
    quaternion,
    qoffset: [a[0][3], a[1][3], a[2][3]],
    qfac,
    pixdim,
    srow: a,
    xyztUnits: UNITS_MM_SEC,
    dimInfo: 0,
  };
}

/** Parsing a kept header never allocates voxels, so the size limits need not bind. */
const HEADER_ONLY_LIMITS = { maxVoxels: Infinity, maxBytes: Infinity };

/** The voxels as `type`, rounding floats into integer types and refusing values that overflow. */
function convertVoxels(data: VoxelArray, type: VoxelType, name: string): VoxelArray {
  if (voxelTypeOf(data) === type) return data;
  const out = allocateVoxels(type, data.length);
  if (!isIntegerType(type)) {
    out.set(data);
    return out;
  }
  const [low, high] = integerRange(type);
  for (let i = 0; i < data.length; i++) {
    const value = Math.round(data[i]);
    if (!(value >= low && value <= high)) {
      throw volumeError(name, `voxel value ${data[i]} at index ${i} does not fit ${type}`);
    }
    out[i] = value;
  }
  return out;
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= maxBytes) return text;
  return new TextDecoder().decode(bytes.subarray(0, maxBytes)).replace(/\uFFFD$/, "");
}
