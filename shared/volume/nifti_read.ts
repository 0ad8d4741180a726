import type { Volume, VoxelArray } from "./volume.ts";
import { gunzipDeclared, isGzip } from "./gunzip.ts";
import { formatBytes, volumeError, type VolumeLimits } from "./limits.ts";
import { type NiftiHeaderInfo, parseNiftiFileHeader } from "./nifti_header.ts";
import { VOXEL_ARRAYS } from "./voxel_type.ts";
import { voxelsFromBytes } from "./raw_voxels.ts";

/**
 * Decodes a `.nii` or `.nii.gz` file held in memory.
 *
 * The header is read first (from an inflated prefix for gzip), its dims checked against `limits`,
 * and only then is the voxel data inflated (checksums verified), refused once it passes the size
 * the header declares by more than 1 MiB. Values are
 * scaled by `scl_slope`/`scl_inter` (to float32, float64 for float64 files) unless the slope is
 * NaN or 0. A 4-D file's dim[4] becomes `channels`. Data keeps NIfTI's i-fastest order.
 *
 * @param name file path or upload name, used in every error message
 * @throws UserError for wrong magic, truncation, dims that disagree with the byte count,
 *   absurd dims, unsupported datatypes, corrupt gzip
 */
export function decodeNifti(bytes: Uint8Array, name: string, limits: VolumeLimits): Volume {
  const gzip = isGzip(bytes);
  const header = parseNiftiFileHeader(bytes, name, limits);
  const need = header.voxOffset + header.dataBytes;
  const raw = gzip ? gunzipDeclared(bytes, name, need) : bytes;
  if (raw.length < need) {
    throw volumeError(
      name,
      `truncated or inconsistent: header declares [${header.shape.join(", ")}]` +
        `${header.channels > 1 ? ` x ${header.channels} channels` : ""} ${header.datatype} ` +
        `= ${formatBytes(header.dataBytes)} of voxel data at offset ${header.voxOffset}, ` +
        `but the ${gzip ? "inflated " : ""}file has only ${raw.length} bytes`,
    );
  }
  return {
    shape: header.shape,
    channels: header.channels,
    data: scaled(
      header,
      voxelsFromBytes(
        raw,
        header.voxOffset,
        header.dataBytes / VOXEL_ARRAYS[header.datatype].BYTES_PER_ELEMENT,
        header.datatype,
        header.littleEndian,
      ),
    ),
    spacing: header.spacing,
    affine: header.affine,
    source: {
      path: name,
      format: "nifti",
      datatype: header.datatype,
      niftiHeader: header.headerBytes,
    },
  };
}

function scaled(header: NiftiHeaderInfo, data: VoxelArray): VoxelArray {
  if (!header.scaling) return data;
  const { slope, inter } = header.scaling;
  const out = header.datatype === "float64"
    ? new Float64Array(data.length)
    : new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] * slope + inter;
  return out;
}
