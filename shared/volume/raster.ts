/**
 * What NRRD and MetaImage headers have in common once parsed: a grid, a voxel type, an encoding,
 * a geometry, and where the voxel bytes are. {@link decodeRaster} turns the bytes into a
 * {@link Volume} the same way for both.
 */
import type { Affine, Volume, VolumeSource, VoxelArray, VoxelType } from "./volume.ts";
import { inflateDeclared } from "./gunzip.ts";
import { checkDeclaredSize, volumeError, type VolumeLimits } from "./limits.ts";
import { planarChannels, voxelsFromBytes } from "./raw_voxels.ts";
import { allocateVoxels, VOXEL_ARRAYS } from "./voxel_type.ts";

/** A parsed NRRD or MetaImage header. */
export interface RasterHeader {
  format: "nrrd" | "metaimage";
  shape: [number, number, number];
  channels: number;
  /** Channel is the fastest axis in the file (NRRD vectors, MetaImage channels). */
  channelsFastest: boolean;
  datatype: VoxelType;
  littleEndian: boolean;
  encoding: "raw" | "gzip" | "zlib" | "ascii";
  /** Voxel-to-world, RAS+ millimetres. */
  affine: Affine;
  /** The data file named by a detached header, relative to the header's folder. */
  dataFile?: string;
  /** Where the voxel data starts in an attached header's file. */
  headerLength: number;
  /** Bytes to skip in the (decoded) data before the voxels; -1: the voxels end the data. */
  byteSkip: number;
}

/** Voxel sizes: the lengths of the affine's first three columns. */
export function affineSpacing(affine: Affine): [number, number, number] {
  return [0, 1, 2].map((j) => Math.hypot(affine[0][j], affine[1][j], affine[2][j])) as [
    number,
    number,
    number,
  ];
}

/**
 * Builds a RAS affine from axis vectors and an origin in a space whose x and y may point left and
 * posterior (`flip` = -1 for those rows: LPS, the DICOM/ITK world).
 */
export function worldAffine(
  axes: readonly (readonly number[])[],
  origin: readonly number[],
  flip: readonly [number, number, number],
): Affine {
  const row = (r: number): [number, number, number, number] => [
    flip[r] * axes[0][r],
    flip[r] * axes[1][r],
    flip[r] * axes[2][r],
    flip[r] * origin[r],
  ];
  return [row(0), row(1), row(2), [0, 0, 0, 1]];
}

/**
 * Decodes the voxel data `data` (the attached file's bytes after the header, or the detached data
 * file) that `header` describes.
 *
 * @throws UserError naming the file for absurd dims, corrupt compression, too few bytes or bad
 *   ASCII values
 */
export function decodeRaster(
  header: RasterHeader,
  data: Uint8Array,
  name: string,
  limits: VolumeLimits,
): Volume {
  const { shape, channels, datatype } = header;
  const width = VOXEL_ARRAYS[datatype].BYTES_PER_ELEMENT;
  const dataBytes = checkDeclaredSize(name, [...shape, channels], width, limits);
  const count = dataBytes / width;
  let values: VoxelArray;
  if (header.encoding === "ascii") {
    values = asciiVoxels(data, count, datatype, name);
  } else {
    const skip = Math.max(header.byteSkip, 0);
    const raw = header.encoding === "raw"
      ? data
      : inflateDeclared(data, name, skip + dataBytes, header.encoding);
    const offset = header.byteSkip < 0 ? raw.length - dataBytes : skip;
    if (offset < 0 || raw.length - offset < dataBytes) {
      throw volumeError(
        name,
        `truncated: the header declares [${shape.join(", ")}]${
          channels > 1 ? ` x ${channels} channels` : ""
        } ${datatype} = ${dataBytes} bytes of voxel data, but the ${
          header.encoding === "raw" ? "" : "inflated "
        }data has ${Math.max(raw.length - skip, 0)}`,
      );
    }
    values = voxelsFromBytes(raw, offset, count, datatype, header.littleEndian);
  }
  const source: VolumeSource = { path: name, format: header.format, datatype };
  return {
    shape,
    channels,
    data: header.channelsFastest ? planarChannels(values, channels) : values,
    spacing: affineSpacing(header.affine),
    affine: header.affine,
    source,
  };
}

/** NRRD's `encoding: ascii`: whitespace-separated numbers. */
function asciiVoxels(data: Uint8Array, count: number, type: VoxelType, name: string): VoxelArray {
  const words = new TextDecoder().decode(data).trim().split(/[\s,]+/);
  if (words.length < count) {
    throw volumeError(name, `truncated: ${count} ASCII values declared, ${words.length} found`);
  }
  const out = allocateVoxels(type, count);
  for (let i = 0; i < count; i++) {
    const value = Number(words[i]);
    if (Number.isNaN(value) && words[i].toLowerCase() !== "nan") {
      throw volumeError(name, `ASCII voxel ${i} is '${words[i]}', not a number`);
    }
    out[i] = value;
  }
  return out;
}
