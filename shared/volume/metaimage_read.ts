/**
 * MetaImage (ITK's MetaIO): `.mha` with the data after the header (`ElementDataFile = LOCAL`) or
 * `.mhd` naming a raw data file. 3-D volumes, `ElementNumberOfChannels` channels, raw or
 * zlib-compressed (`CompressedData = True`), either byte order. Geometry as ITK reads it: world
 * coordinates are LPS, `TransformMatrix` row i is the direction of voxel axis i.
 */
import type { VoxelType } from "./volume.ts";
import { volumeError } from "./limits.ts";
import { type RasterHeader, worldAffine } from "./raster.ts";

const TYPES: Record<string, VoxelType> = {
  MET_CHAR: "int8",
  MET_UCHAR: "uint8",
  MET_SHORT: "int16",
  MET_USHORT: "uint16",
  MET_INT: "int32",
  MET_UINT: "uint32",
  MET_FLOAT: "float32",
  MET_DOUBLE: "float64",
};

/** True when `bytes` start like a MetaImage header (`ObjectType`, `NDims` or `Comment` first). */
export function isMetaImage(bytes: Uint8Array): boolean {
  const start = new TextDecoder("latin1").decode(bytes.subarray(0, 32));
  return /^(ObjectType|NDims|Comment|ObjectSubType)\s*=/.test(start);
}

/**
 * Parses a MetaImage header (`.mha` or `.mhd` bytes).
 *
 * @throws UserError naming the file for a missing or unsupported field (element type, NDims,
 *   multi-file data) or malformed numbers
 */
export function parseMetaImageHeader(bytes: Uint8Array, name: string): RasterHeader {
  const { fields, headerLength } = headerFields(bytes, name);
  const field = (key: string): string => {
    const value = fields.get(key.toLowerCase());
    if (value === undefined) throw volumeError(name, `MetaImage header has no '${key}' field`);
    return value;
  };
  const objectType = fields.get("objecttype");
  if (objectType !== undefined && objectType.toLowerCase() !== "image") {
    throw volumeError(name, `ObjectType ${objectType}: only images are read`);
  }
  if (Number(field("NDims")) !== 3) {
    throw volumeError(name, `NDims ${fields.get("ndims")}: only 3-D images are read`);
  }
  const shape = numbers(field("DimSize"), 3, name, "DimSize") as [number, number, number];
  const datatype = TYPES[field("ElementType").toUpperCase()];
  if (datatype === undefined) {
    throw volumeError(
      name,
      `ElementType ${
        fields.get("elementtype")
      } is not read (MET_CHAR … MET_DOUBLE, not 64-bit integers)`,
    );
  }
  const optional = (keys: string[], fallback: number[]): number[] => {
    const key = keys.find((k) => fields.has(k.toLowerCase()));
    return key === undefined
      ? fallback
      : numbers(fields.get(key.toLowerCase())!, fallback.length, name, key);
  };
  const spacing = optional(["ElementSpacing", "ElementSize"], [1, 1, 1]);
  const origin = optional(["Offset", "Position", "Origin"], [0, 0, 0]);
  const matrix = optional(["TransformMatrix", "Rotation", "Orientation"], [
    1,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    1,
  ]);
  const axes = [0, 1, 2].map((i) => [0, 1, 2].map((r) => matrix[3 * i + r] * spacing[i]));
  const dataFile = field("ElementDataFile");
  if (/^LIST\b/i.test(dataFile) || /%/.test(dataFile)) {
    throw volumeError(name, `ElementDataFile '${dataFile}': multi-file data is not read`);
  }
  const bigEndian = ["BinaryDataByteOrderMSB", "ElementByteOrderMSB"].some((k) =>
    fields.get(k.toLowerCase())?.toLowerCase() === "true"
  );
  const compressed = fields.get("compresseddata")?.toLowerCase() === "true";
  const headerSize = Number(fields.get("headersize") ?? "0");
  if (!Number.isInteger(headerSize) || headerSize < -1) {
    throw volumeError(name, `HeaderSize ${fields.get("headersize")}: expected -1 or a count`);
  }
  return {
    format: "metaimage",
    shape,
    channels: Number(fields.get("elementnumberofchannels") ?? "1"),
    channelsFastest: true,
    datatype,
    littleEndian: !bigEndian,
    encoding: compressed ? "zlib" : "raw",
    affine: worldAffine(axes, origin, [-1, -1, 1]),
    dataFile: dataFile.toUpperCase() === "LOCAL" ? undefined : dataFile,
    headerLength,
    byteSkip: headerSize,
  };
}

/** `Key = Value` lines up to and including `ElementDataFile` (keys lower-cased). */
function headerFields(
  bytes: Uint8Array,
  name: string,
): { fields: Map<string, string>; headerLength: number } {
  const fields = new Map<string, string>();
  const text = new TextDecoder("latin1").decode(bytes.subarray(0, 1024 ** 2));
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf("\n", at);
    const line = text.slice(at, end < 0 ? text.length : end).replace(/\r$/, "");
    at = end < 0 ? text.length : end + 1;
    if (line.trim() === "") continue;
    const equals = line.indexOf("=");
    if (equals < 0) throw volumeError(name, `bad MetaImage header line '${line.slice(0, 80)}'`);
    const key = line.slice(0, equals).trim().toLowerCase();
    fields.set(key, line.slice(equals + 1).trim());
    if (key === "elementdatafile") return { fields, headerLength: at };
  }
  throw volumeError(name, "MetaImage header has no 'ElementDataFile' line (the header's last)");
}

function numbers(text: string, count: number, name: string, field: string): number[] {
  const values = text.trim().split(/\s+/).map(Number);
  if (values.length !== count || values.some((v) => !Number.isFinite(v))) {
    throw volumeError(name, `${field} '${text}' is not ${count} numbers`);
  }
  return values;
}
