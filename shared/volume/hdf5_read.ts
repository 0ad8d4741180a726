import h5wasm, { type Dataset, type File as H5File } from "h5wasm";
import type { Volume, VoxelArray, VoxelType } from "./volume.ts";
import { spacingAffine } from "./affine.ts";
import { UserError } from "../errors.ts";
import { checkDeclaredSize, volumeError, type VolumeLimits } from "./limits.ts";
import { allocateVoxels } from "./voxel_type.ts";

/** The dataset read from an `.h5` path without a `#fragment`. */
export const DEFAULT_HDF5_DATASET = "image";

let fileCounter = 0;

/**
 * Decodes one 3-D dataset of an HDF5 file held in memory (the lineage's `mri_norm2.h5` with
 * `image` and `label`).
 *
 * Axis convention (docs/METHOD.md section 2): h5py's `a[i, j, k]` is voxel (i, j, k). The file is
 * C-order (k fastest); the result is transposed to the {@link Volume}'s i-fastest layout, so an
 * h5 label and a NIfTI prediction of the same case line up.
 *
 * @param dataset name inside the file (`case.h5#label` gives `label`)
 * @param spacing voxel size to record, since the files store none (LA: 0.625 mm)
 */
export function decodeHdf5(
  bytes: Uint8Array,
  name: string,
  dataset: string,
  limits: VolumeLimits,
  spacing: [number, number, number] = [1, 1, 1],
): Promise<Volume> {
  return withDataset(bytes, name, dataset, limits, (entity, shape, type) => {
    const values = entity.value as VoxelArray;
    return {
      shape,
      channels: 1,
      data: cOrderToIFastest(values, shape, allocateVoxels(type, values.length)),
      spacing,
      affine: spacingAffine(spacing),
      source: { path: `${name}#${dataset}`, format: "hdf5", datatype: type },
    };
  });
}

/** Shape and voxel type of one HDF5 dataset, without reading its values. */
export function inspectHdf5(
  bytes: Uint8Array,
  name: string,
  dataset: string,
  limits: VolumeLimits,
): Promise<{ shape: [number, number, number]; datatype: VoxelType }> {
  return withDataset(bytes, name, dataset, limits, (_, shape, datatype) => ({ shape, datatype }));
}

/**
 * Opens `bytes` in h5wasm's in-memory file system, finds the 3-D dataset, checks its size against
 * the limits, and hands it to `use`; the file is closed and removed whatever happens.
 */
async function withDataset<T>(
  bytes: Uint8Array,
  name: string,
  dataset: string,
  limits: VolumeLimits,
  use: (entity: Dataset, shape: [number, number, number], type: VoxelType) => T,
): Promise<T> {
  if (!isHdf5(bytes)) throw volumeError(name, "not an HDF5 file (wrong magic)");
  const { FS } = await h5wasmReady();
  const memoryPath = `/llmseg-${fileCounter++}.h5`;
  FS!.writeFile(memoryPath, bytes);
  let file: H5File | undefined;
  try {
    file = new h5wasm.File(memoryPath, "r");
    const names = file.keys();
    const entity = dataset.includes("/") || names.includes(dataset) ? file.get(dataset) : null;
    if (!(entity instanceof h5wasm.Dataset)) {
      throw volumeError(
        name,
        entity
          ? `'${dataset}' is not a dataset`
          : `missing HDF5 dataset '${dataset}' (has: ${names.join(", ") || "nothing"})`,
      );
    }
    const shape = entity.shape ?? [];
    if (shape.length !== 3) {
      throw volumeError(
        name,
        `dataset '${dataset}' has rank ${shape.length}; expected 3 (x, y, z)`,
      );
    }
    const type = voxelTypeOfHdf5(entity.metadata, name, dataset);
    checkDeclaredSize(name, shape, entity.metadata.size, limits);
    return use(entity, shape as [number, number, number], type);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw volumeError(name, `corrupt or truncated HDF5 file (${hdf5Reason(error as Error)})`);
  } finally {
    try {
      file?.close();
    } finally {
      FS!.unlink(memoryPath);
    }
  }
}

let ready: ReturnType<typeof activate> | undefined;

/** h5wasm, loaded once, with HDF5 errors thrown as exceptions instead of printed to stderr. */
function h5wasmReady(): ReturnType<typeof activate> {
  ready ??= activate();
  return ready;
}

async function activate(): Promise<Awaited<typeof h5wasm.ready>> {
  const module = await h5wasm.ready;
  module.activate_throwing_error_handler();
  return module;
}

/** The innermost HDF5 reason from a thrown error stack, e.g. "unable to open file". */
function hdf5Reason(error: Error): string {
  const reasons = [...error.message.matchAll(/ in \w+\(\): ([^\n]+)/g)].map((m) => m[1].trim());
  return reasons.at(-1) ?? error.message.split("\n")[0];
}

/** True when `bytes` starts with the HDF5 signature `\x89HDF\r\n\x1a\n`. */
export function isHdf5(bytes: Uint8Array): boolean {
  const signature = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  return bytes.length >= 8 && signature.every((b, i) => bytes[i] === b);
}

function voxelTypeOfHdf5(
  metadata: Dataset["metadata"],
  name: string,
  dataset: string,
): VoxelType {
  const bits = metadata.size * 8;
  // h5wasm type classes: 0 integer, 1 float.
  const type = metadata.type === 1
    ? `float${bits}`
    : metadata.type === 0
    ? `${metadata.signed ? "int" : "uint"}${bits}`
    : undefined;
  const supported = ["uint8", "int8", "int16", "uint16", "int32", "uint32", "float32", "float64"];
  if (!type || !supported.includes(type)) {
    throw volumeError(
      name,
      `dataset '${dataset}' has unsupported type ${type ?? `class ${metadata.type}`}`,
    );
  }
  return type as VoxelType;
}

/**
 * Reorders a C-order `[X, Y, Z]` array (k fastest) into the i-fastest layout:
 * `out[i + j·X + k·X·Y] = input[(i·Y + j)·Z + k]`.
 */
function cOrderToIFastest<T extends VoxelArray>(
  input: VoxelArray,
  shape: [number, number, number],
  out: T,
): T {
  const [x, y, z] = shape;
  const plane = x * y;
  let at = 0;
  for (let i = 0; i < x; i++) {
    for (let j = 0; j < y; j++) {
      const base = i + j * x;
      for (let k = 0; k < z; k++) out[base + k * plane] = input[at++];
    }
  }
  return out;
}
