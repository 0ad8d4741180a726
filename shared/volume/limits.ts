import { UserError } from "../errors.ts";

/**
 * Size limits applied before anything is allocated, so a hostile or broken file (absurd dims, a
 * gzip bomb) is refused with a clear error instead of exhausting memory.
 */
export interface VolumeLimits {
  /** Most voxels (all channels together) a volume may declare. */
  maxVoxels: number;
  /** Most bytes a file may inflate to (gzip) or declare as voxel data. */
  maxBytes: number;
}

/** 2 GiB of voxel data and 512 Mi voxels: far above any CT/MRI scan, far below the machine. */
export const DEFAULT_LIMITS: VolumeLimits = { maxVoxels: 512 * 1024 ** 2, maxBytes: 2 * 1024 ** 3 };

/** Formats a byte count for messages: `2 GiB`, `64 KiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(1))} ${units[unit]}`;
}

/** A {@link UserError} about one file: `"<name>: <problem>"`, code `invalid_volume`. */
export function volumeError(name: string, problem: string): UserError {
  return new UserError("invalid_volume", `${name}: ${problem}`);
}

/**
 * Checks declared dims against the limits before any allocation.
 *
 * @param dims spatial size and channel count as the header states them
 * @param bytesPerVoxel size of one stored voxel
 * @returns the voxel-data byte count the header implies
 */
export function checkDeclaredSize(
  name: string,
  dims: readonly number[],
  bytesPerVoxel: number,
  limits: VolumeLimits,
): number {
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 1) {
      throw volumeError(name, `invalid dimensions [${dims.join(", ")}] (each must be >= 1)`);
    }
  }
  const voxels = dims.reduce((a, b) => a * b, 1);
  const bytes = voxels * bytesPerVoxel;
  if (voxels > limits.maxVoxels || bytes > limits.maxBytes) {
    throw volumeError(
      name,
      `absurd dimensions [${dims.join(", ")}]: ${voxels} voxels, ${formatBytes(bytes)} ` +
        `(limit ${limits.maxVoxels} voxels, ${formatBytes(limits.maxBytes)})`,
    );
  }
  return bytes;
}
