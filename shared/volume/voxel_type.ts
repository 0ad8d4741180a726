import type { VoxelArray, VoxelType } from "./volume.ts";

/** Constructor of each voxel storage type. */
export const VOXEL_ARRAYS: Record<
  VoxelType,
  {
    new (length: number): VoxelArray;
    new (buffer: ArrayBuffer): VoxelArray;
    BYTES_PER_ELEMENT: number;
  }
> = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
};

/** The {@link VoxelType} name of a typed array. */
export function voxelTypeOf(data: VoxelArray): VoxelType {
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Int16Array) return "int16";
  if (data instanceof Uint16Array) return "uint16";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint32Array) return "uint32";
  if (data instanceof Float32Array) return "float32";
  return "float64";
}

/** True for the integer storage types (values are rounded when written to them). */
export function isIntegerType(type: VoxelType): boolean {
  return type !== "float32" && type !== "float64";
}

/** The smallest and largest value an integer type holds. */
export function integerRange(type: VoxelType): [number, number] {
  const bits = VOXEL_ARRAYS[type].BYTES_PER_ELEMENT * 8;
  return type.startsWith("u") ? [0, 2 ** bits - 1] : [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1];
}

/** A new, zero-filled array of `type` with `length` elements. */
export function allocateVoxels(type: VoxelType, length: number): VoxelArray {
  return new VOXEL_ARRAYS[type](length);
}
