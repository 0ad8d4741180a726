/**
 * NRRD (teem's format, 3D Slicer's default): `.nrrd` with the data attached after a blank line,
 * or a `.nhdr` header naming a `data file`. Reads 3-D scalar volumes and 4-D ones with one
 * non-spatial axis (channels, first or last), encodings raw, gzip and ascii, either endianness,
 * with `space directions`/`space origin` (or `spacings`) as the geometry.
 */
import type { VoxelType } from "./volume.ts";
import { volumeError } from "./limits.ts";
import { type RasterHeader, worldAffine } from "./raster.ts";

/** NRRD `type` spellings (NRRD0005 spec, "type"). */
const TYPES: Record<string, VoxelType> = {};
for (
  const [type, names] of [
    ["int8", "signed char, int8, int8_t"],
    ["uint8", "uchar, unsigned char, uint8, uint8_t"],
    ["int16", "short, short int, signed short, signed short int, int16, int16_t"],
    ["uint16", "ushort, unsigned short, unsigned short int, uint16, uint16_t"],
    ["int32", "int, signed int, int32, int32_t"],
    ["uint32", "uint, unsigned int, uint32, uint32_t"],
    ["float32", "float"],
    ["float64", "double"],
  ] as const
) {
  for (const name of names.split(", ")) TYPES[name] = type;
}

/** `space` values and the signs that turn their x, y, z into RAS. */
const SPACES: Record<string, [number, number, number]> = {
  "right-anterior-superior": [1, 1, 1],
  "ras": [1, 1, 1],
  "left-anterior-superior": [-1, 1, 1],
  "las": [-1, 1, 1],
  "left-posterior-superior": [-1, -1, 1],
  "lps": [-1, -1, 1],
  // No anatomical meaning: the coordinates are taken as they are.
  "scanner-xyz": [1, 1, 1],
  "3d-right-handed": [1, 1, 1],
  "3d-left-handed": [1, 1, 1],
};

const ENCODINGS: Record<string, RasterHeader["encoding"]> = {
  raw: "raw",
  gzip: "gzip",
  gz: "gzip",
  ascii: "ascii",
  text: "ascii",
  txt: "ascii",
};

/** True when `bytes` start with the NRRD magic `NRRD000`. */
export function isNrrd(bytes: Uint8Array): boolean {
  return new TextDecoder().decode(bytes.subarray(0, 7)) === "NRRD000";
}

/**
 * Parses a NRRD header (`.nrrd` or `.nhdr` bytes).
 *
 * @throws UserError naming the file for a missing magic or field, an unsupported type, encoding,
 *   space or dimension, or inconsistent geometry
 */
export function parseNrrdHeader(bytes: Uint8Array, name: string): RasterHeader {
  if (!isNrrd(bytes)) throw volumeError(name, "not a NRRD file (no NRRD000x magic)");
  const { fields, headerLength } = headerFields(bytes, name);
  const field = (key: string): string => {
    const value = fields.get(key);
    if (value === undefined) throw volumeError(name, `NRRD header has no '${key}' field`);
    return value;
  };
  const dimension = Number(field("dimension"));
  if (dimension !== 3 && dimension !== 4) {
    throw volumeError(
      name,
      `dimension ${fields.get("dimension")}: only 3-D volumes (4-D with channels) are read`,
    );
  }
  const sizes = numbers(field("sizes"), name, "sizes");
  if (sizes.length !== dimension) {
    throw volumeError(name, `'sizes' has ${sizes.length} values for dimension ${dimension}`);
  }
  const datatype = TYPES[field("type").toLowerCase()];
  if (datatype === undefined) {
    throw volumeError(
      name,
      `NRRD type '${field("type")}' is not read (8-64 bit ints below 64, float, double)`,
    );
  }
  const encodingName = field("encoding").toLowerCase();
  const encoding = ENCODINGS[encodingName];
  if (encoding === undefined) {
    throw volumeError(name, `NRRD encoding '${encodingName}' is not read (raw, gzip or ascii)`);
  }
  const directions = fields.has("space directions")
    ? spaceDirections(fields.get("space directions")!, dimension, name)
    : undefined;
  const channelAxis = findChannelAxis(dimension, directions, fields.get("kinds"), name);
  const spatial = [0, 1, 2, 3].slice(0, dimension).filter((a) => a !== channelAxis);
  const shape = spatial.map((a) => sizes[a]) as [number, number, number];
  const axes = spatial.map((a, i) =>
    directions?.[a] ?? spacingAxis(fields.get("spacings"), a, i, name)
  );
  const spaceName = (fields.get("space") ?? "").toLowerCase();
  const flip = spaceName === "" ? [1, 1, 1] as [number, number, number] : SPACES[spaceName];
  if (flip === undefined) {
    throw volumeError(name, `NRRD space '${fields.get("space")}' is not read (3-D spaces only)`);
  }
  const origin = fields.has("space origin")
    ? vector(fields.get("space origin")!, name, "space origin")
    : [0, 0, 0];
  const dataFile = fields.get("data file") ?? fields.get("datafile");
  if (
    dataFile !== undefined &&
    (/^LIST\b/.test(dataFile) || /%/.test(dataFile) || / /.test(dataFile.trim()))
  ) {
    throw volumeError(name, `data file '${dataFile}': multi-file NRRD data is not read`);
  }
  const skip = Number(fields.get("byte skip") ?? fields.get("byteskip") ?? "0");
  if (!Number.isInteger(skip) || skip < -1) {
    throw volumeError(name, `byte skip ${fields.get("byte skip")}: expected -1 or a count`);
  }
  if (Number(fields.get("line skip") ?? fields.get("lineskip") ?? "0") !== 0) {
    throw volumeError(name, "'line skip' is not read");
  }
  const multiByte = datatype !== "int8" && datatype !== "uint8";
  const endian = fields.get("endian")?.toLowerCase();
  if (multiByte && encoding !== "ascii" && endian !== "little" && endian !== "big") {
    throw volumeError(name, "NRRD header has no 'endian' field (little or big)");
  }
  return {
    format: "nrrd",
    shape,
    channels: channelAxis === undefined ? 1 : sizes[channelAxis],
    channelsFastest: channelAxis === 0,
    datatype,
    littleEndian: endian !== "big",
    encoding,
    affine: worldAffine(axes, origin, flip),
    dataFile: dataFile?.trim(),
    headerLength,
    byteSkip: skip,
  };
}

/** The header's `field: value` lines (keys lower-cased; `key:=value` pairs and comments skipped). */
function headerFields(
  bytes: Uint8Array,
  name: string,
): { fields: Map<string, string>; headerLength: number } {
  const fields = new Map<string, string>();
  // The header is ASCII; decoding a bounded prefix keeps a huge data section out of the string.
  const text = new TextDecoder("latin1").decode(bytes.subarray(0, 1024 ** 2));
  let at = text.indexOf("\n") + 1;
  while (at > 0 && at < text.length) {
    const end = text.indexOf("\n", at);
    const line = text.slice(at, end < 0 ? text.length : end).replace(/\r$/, "");
    at = end < 0 ? text.length : end + 1;
    if (line === "") return { fields, headerLength: at };
    if (line.startsWith("#") || line.includes(":=")) continue;
    const colon = line.indexOf(": ");
    if (colon < 0) throw volumeError(name, `bad NRRD header line '${line.slice(0, 80)}'`);
    fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 2).trim());
  }
  if (bytes.length > text.length) throw volumeError(name, "NRRD header longer than 1 MiB");
  return { fields, headerLength: bytes.length };
}

/** `space directions`: one `(x,y,z)` vector or `none` per axis. */
function spaceDirections(
  text: string,
  dimension: number,
  name: string,
): (number[] | undefined)[] {
  const parts = text.match(/\([^)]*\)|none/g) ?? [];
  if (parts.length !== dimension) {
    throw volumeError(
      name,
      `'space directions' has ${parts.length} entries for dimension ${dimension}`,
    );
  }
  return parts.map((p) => p === "none" ? undefined : vector(p, name, "space directions"));
}

/** The non-spatial axis of a 4-D volume: `none` direction, else a non-domain kind, else the last. */
function findChannelAxis(
  dimension: number,
  directions: (number[] | undefined)[] | undefined,
  kinds: string | undefined,
  name: string,
): number | undefined {
  if (dimension === 3) {
    if (directions?.some((d) => d === undefined)) {
      throw volumeError(name, "a 3-D NRRD needs a direction for every axis");
    }
    return undefined;
  }
  const spatialKind = /^(domain|space|time)$/i;
  const candidates = directions
    ? [0, 1, 2, 3].filter((a) => directions[a] === undefined)
    : kinds
    ? [0, 1, 2, 3].filter((a) => !spatialKind.test(kinds.split(/\s+/)[a] ?? "domain"))
    : [3];
  if (candidates.length !== 1 || (candidates[0] !== 0 && candidates[0] !== 3)) {
    throw volumeError(
      name,
      "a 4-D NRRD is read when exactly one axis, the first or the last, is non-spatial (channels)",
    );
  }
  return candidates[0];
}

/** The axis vector from `spacings` (spacing along world axis `i`), 1 mm when absent. */
function spacingAxis(
  spacings: string | undefined,
  axis: number,
  index: number,
  name: string,
): number[] {
  const spacing = spacings === undefined ? 1 : numbers(spacings, name, "spacings")[axis];
  const size = Number.isFinite(spacing) && spacing !== 0 ? spacing : 1;
  return [0, 1, 2].map((r) => (r === index ? size : 0));
}

/** `(x,y,z)` → three finite numbers. */
function vector(text: string, name: string, field: string): number[] {
  const values = text.replace(/[()]/g, "").split(",").map((v) => Number(v.trim()));
  if (values.length !== 3 || values.some((v) => !Number.isFinite(v))) {
    throw volumeError(name, `'${field}' entry '${text}' is not a 3-vector`);
  }
  return values;
}

function numbers(text: string, name: string, field: string): number[] {
  const values = text.trim().split(/\s+/).map((v) => (v.toLowerCase() === "nan" ? NaN : Number(v)));
  if (
    values.some((v, i) => Number.isNaN(v) && text.trim().split(/\s+/)[i].toLowerCase() !== "nan")
  ) {
    throw volumeError(name, `'${field}' is not a list of numbers: '${text}'`);
  }
  return values;
}
