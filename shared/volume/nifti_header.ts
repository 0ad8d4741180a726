import { NIFTI1, NIFTI2 } from "nifti-reader-js";
import type { Affine, VoxelType } from "./volume.ts";
import { baseAffine, quaternionAffine } from "./affine.ts";
import { gunzipPrefix, isGzip } from "./gunzip.ts";
import { checkDeclaredSize, volumeError, type VolumeLimits } from "./limits.ts";
import { VOXEL_ARRAYS } from "./voxel_type.ts";

/** NIfTI datatype codes this project reads and writes (nifti1.h `NIFTI_TYPE_*`). */
export const NIFTI_DATATYPE_CODES: Record<VoxelType, number> = {
  uint8: 2,
  int16: 4,
  int32: 8,
  float32: 16,
  float64: 64,
  int8: 256,
  uint16: 512,
  uint32: 768,
};

const TYPE_OF_CODE = new Map<number, VoxelType>(
  Object.entries(NIFTI_DATATYPE_CODES).map(([type, code]) => [code, type as VoxelType]),
);

/** The geometry and layout a NIfTI header declares, validated against the limits. */
export interface NiftiHeaderInfo {
  version: 1 | 2;
  littleEndian: boolean;
  /** Spatial size [X, Y, Z]; missing trailing dims are 1. */
  shape: [number, number, number];
  /** dim[4] of a 4-D file (BraTS modalities), else 1. */
  channels: number;
  datatype: VoxelType;
  /** Byte offset of the voxel data. */
  voxOffset: number;
  /** Bytes of voxel data the dims and datatype imply. */
  dataBytes: number;
  /** |pixdim[1..3]| in millimetres (1 where the header has 0 or garbage). */
  spacing: [number, number, number];
  /** Best affine, chosen as nibabel does: sform if sform_code > 0, else qform, else base. */
  affine: Affine;
  /** `value = raw·slope + inter`, or undefined when the header asks for no scaling. */
  scaling?: { slope: number; inter: number };
  /** The header's own geometry fields, copied verbatim when a mask is written for this scan. */
  geometry: NiftiGeometry;
  /** The raw header bytes (348 or 540), kept so a written mask can copy its geometry. */
  headerBytes: Uint8Array;
}

/** The NIfTI header fields that place voxels in the world (nifti1.h sections on qform/sform). */
export interface NiftiGeometry {
  qformCode: number;
  sformCode: number;
  /** quatern_b, quatern_c, quatern_d */
  quaternion: [number, number, number];
  /** qoffset_x, qoffset_y, qoffset_z */
  qoffset: [number, number, number];
  /** pixdim[0]: -1 for a left-handed qform, else 1. */
  qfac: number;
  /** pixdim[1..3] as stored. */
  pixdim: [number, number, number];
  /** srow_x, srow_y, srow_z as a 4x4 with last row 0 0 0 1. */
  srow: Affine;
  xyztUnits: number;
  dimInfo: number;
}

/** Header size, magic location and srow offset/width of each NIfTI version. */
const LAYOUT = {
  1: { size: 348, magicAt: 344, magics: ["n+1"], srowAt: 280, srowBytes: 4 },
  2: { size: 540, magicAt: 4, magics: ["n+2"], srowAt: 400, srowBytes: 8 },
} as const;

/** Sniffs the version and byte order from sizeof_hdr (348 or 540, either endianness). */
function sniffVersion(bytes: Uint8Array, name: string): { version: 1 | 2; littleEndian: boolean } {
  if (bytes.length < 4) {
    throw volumeError(name, `too short for a NIfTI header (${bytes.length} bytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const littleEndian of [true, false]) {
    const size = view.getInt32(0, littleEndian);
    if (size === 348) return { version: 1, littleEndian };
    if (size === 540) return { version: 2, littleEndian };
  }
  throw volumeError(name, "not a NIfTI file (wrong magic: sizeof_hdr is neither 348 nor 540)");
}

/** Bytes that always cover a NIfTI-1 or -2 header. */
const HEADER_PREFIX = 544;

/**
 * {@link parseNiftiHeader} for the start of a `.nii` or `.nii.gz` file: gzip input is inflated
 * only as far as the header.
 */
export function parseNiftiFileHeader(
  bytes: Uint8Array,
  name: string,
  limits: VolumeLimits,
): NiftiHeaderInfo {
  const prefix = isGzip(bytes) ? gunzipPrefix(bytes, name, HEADER_PREFIX) : bytes;
  return parseNiftiHeader(prefix, name, limits);
}

/**
 * Parses and validates a NIfTI-1/-2 header from the first bytes of an (inflated) file. Fields are
 * read by nifti-reader-js; the srow rows are read here because nifti-reader-js only keeps them when
 * the sform outranks the qform, while nibabel (the reference) uses the sform whenever it is set.
 *
 * @throws UserError naming the file for wrong magic, truncation, unsupported datatype or rank,
 *   and dims beyond `limits` (checked before anything is allocated).
 */
export function parseNiftiHeader(
  bytes: Uint8Array,
  name: string,
  limits: VolumeLimits,
): NiftiHeaderInfo {
  const { version, littleEndian } = sniffVersion(bytes, name);
  const layout = LAYOUT[version];
  if (bytes.length < layout.size) {
    throw volumeError(
      name,
      `truncated NIfTI-${version} header (${bytes.length} of ${layout.size} bytes)`,
    );
  }
  const magic = new TextDecoder().decode(bytes.subarray(layout.magicAt, layout.magicAt + 3));
  if (magic === "ni1" || magic === "ni2") {
    throw volumeError(name, "separate .hdr/.img NIfTI pairs are not supported; convert to .nii");
  }
  if (!(layout.magics as readonly string[]).includes(magic)) {
    throw volumeError(name, `not a NIfTI file (wrong magic ${JSON.stringify(magic)})`);
  }
  // A private copy of just the header, extension flag cleared: extensions are not needed, and
  // nifti-reader-js would otherwise walk them past the bytes handed to it.
  const headerBytes = bytes.slice(0, layout.size);
  const parseCopy = new Uint8Array(layout.size + 4);
  parseCopy.set(headerBytes);
  const header = version === 1 ? new NIFTI1() : new NIFTI2();
  header.readHeader(parseCopy.buffer);

  const rank = header.dims[0];
  if (!(rank >= 1 && rank <= 7)) throw volumeError(name, `invalid dim[0] = ${rank} (must be 1..7)`);
  const dim = (i: number): number => (i <= rank ? header.dims[i] : 1);
  for (let i = 5; i <= rank; i++) {
    if (dim(i) !== 1) {
      throw volumeError(name, `unsupported ${rank}-D NIfTI (dim[${i}] = ${dim(i)}); at most 4-D`);
    }
  }
  const datatype = TYPE_OF_CODE.get(header.datatypeCode);
  if (!datatype) {
    throw volumeError(
      name,
      // NIFTI1's code table (the codes are NIfTI-2's too): NIFTI2 headers lack the method, and a
      // fuzzed NIfTI-2 header with an odd datatype threw a TypeError here instead.
      `unsupported NIfTI datatype ${header.datatypeCode} (${
        new NIFTI1().getDatatypeCodeString(header.datatypeCode)
      }); ` +
        "supported: uint8, int8, int16, uint16, int32, uint32, float32, float64",
    );
  }
  const shape: [number, number, number] = [dim(1), dim(2), dim(3)];
  const channels = dim(4);
  const dataBytes = checkDeclaredSize(
    name,
    [...shape, channels],
    VOXEL_ARRAYS[datatype].BYTES_PER_ELEMENT,
    limits,
  );
  const voxOffset = Math.floor(header.vox_offset);
  if (!(voxOffset >= layout.size)) {
    throw volumeError(name, `invalid vox_offset ${header.vox_offset} (must be >= ${layout.size})`);
  }
  const pixdim = [1, 2, 3].map((i) => header.pixDims[i]) as [number, number, number];
  const spacing = pixdim.map((p) => (Number.isFinite(p) && p !== 0 ? Math.abs(p) : 1)) as [
    number,
    number,
    number,
  ];
  const geometry: NiftiGeometry = {
    qformCode: header.qform_code,
    sformCode: header.sform_code,
    quaternion: [header.quatern_b, header.quatern_c, header.quatern_d],
    qoffset: [header.qoffset_x, header.qoffset_y, header.qoffset_z],
    qfac: header.pixDims[0] === -1 ? -1 : 1,
    pixdim,
    srow: readSrow(headerBytes, version, littleEndian),
    xyztUnits: header.xyzt_units,
    dimInfo: header.dim_info,
  };
  return {
    version,
    littleEndian,
    shape,
    channels,
    datatype,
    voxOffset,
    dataBytes,
    spacing,
    affine: bestAffine(geometry, shape, spacing),
    scaling: scalingOf(header.scl_slope, header.scl_inter),
    geometry,
    headerBytes,
  };
}

/** nibabel's rule: a NaN or 0 slope means no scaling; 1 and 0 are no scaling either. */
function scalingOf(slope: number, inter: number): { slope: number; inter: number } | undefined {
  if (!Number.isFinite(slope) || slope === 0) return undefined;
  const offset = Number.isFinite(inter) ? inter : 0;
  return slope === 1 && offset === 0 ? undefined : { slope, inter: offset };
}

function bestAffine(
  geometry: NiftiGeometry,
  shape: [number, number, number],
  spacing: [number, number, number],
): Affine {
  if (geometry.sformCode > 0) return geometry.srow;
  if (geometry.qformCode > 0) {
    return quaternionAffine(geometry.quaternion, geometry.qoffset, spacing, geometry.qfac);
  }
  return baseAffine(shape, spacing);
}

function readSrow(headerBytes: Uint8Array, version: 1 | 2, littleEndian: boolean): Affine {
  const { srowAt, srowBytes } = LAYOUT[version];
  const view = new DataView(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength);
  const at = (r: number, c: number): number => {
    const offset = srowAt + (r * 4 + c) * srowBytes;
    return srowBytes === 4
      ? view.getFloat32(offset, littleEndian)
      : view.getFloat64(offset, littleEndian);
  };
  const row = (
    r: number,
  ): [number, number, number, number] => [at(r, 0), at(r, 1), at(r, 2), at(r, 3)];
  return [row(0), row(1), row(2), [0, 0, 0, 1]];
}
