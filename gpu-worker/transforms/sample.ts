/**
 * A training sample in the network's layout: row-major `[X, Y, Z, C]` (z fastest, channels last),
 * the same order as an h5py array `a[i, j, k]` and as the tfjs tensor `[N, X, Y, Z, C]`, so the
 * transforms read like the lineage's numpy code.
 */
import { UserError } from "@llmseg/shared";
import type { Volume } from "../../shared/volume/volume.ts";

export type Shape3 = [number, number, number];

export interface Sample {
  /** Spatial size [X, Y, Z]. */
  shape: Shape3;
  channels: number;
  /** Intensities, `[X, Y, Z, C]` row-major. */
  image: Float32Array;
  /** Class index per voxel, `[X, Y, Z]` row-major; absent for an unlabelled case. */
  label?: Uint8Array;
}

/**
 * Converts a scan (and optionally its mask, label > 0 → 1 unless `keepClasses`) from the
 * i-fastest {@link Volume} layout to a {@link Sample}. Throws a UserError when the mask's shape
 * differs from the scan's.
 */
export function sampleFromVolumes(image: Volume, label?: Volume, keepClasses = false): Sample {
  const [X, Y, Z] = image.shape;
  const channels = image.channels;
  const n = X * Y * Z;
  const out = new Float32Array(n * channels);
  for (let c = 0; c < channels; c++) {
    for (let k = 0; k < Z; k++) {
      for (let j = 0; j < Y; j++) {
        for (let i = 0; i < X; i++) {
          out[((i * Y + j) * Z + k) * channels + c] = image.data[c * n + i + j * X + k * X * Y];
        }
      }
    }
  }
  if (!label) return { shape: [X, Y, Z], channels, image: out };
  if (label.shape.some((s, a) => s !== image.shape[a])) {
    throw new UserError(
      "invalid_volume",
      `${label.source?.path ?? "label"}: shape ${label.shape.join("x")} differs from its image ` +
        `${image.shape.join("x")}`,
    );
  }
  const classes = new Uint8Array(n);
  for (let k = 0; k < Z; k++) {
    for (let j = 0; j < Y; j++) {
      for (let i = 0; i < X; i++) {
        const v = label.data[i + j * X + k * X * Y];
        classes[(i * Y + j) * Z + k] = keepClasses ? v : v > 0 ? 1 : 0;
      }
    }
  }
  return { shape: [X, Y, Z], channels, image: out, label: classes };
}

/** Writes row-major `[X, Y, Z, C]` values back into the i-fastest `[C][Z][Y][X]` layout. */
export function toVolumeLayout(values: ArrayLike<number>, shape: Shape3, channels: number, out: {
  [index: number]: number;
}): void {
  const [X, Y, Z] = shape;
  const n = X * Y * Z;
  for (let i = 0; i < X; i++) {
    for (let j = 0; j < Y; j++) {
      for (let k = 0; k < Z; k++) {
        for (let c = 0; c < channels; c++) {
          out[c * n + i + j * X + k * X * Y] = values[((i * Y + j) * Z + k) * channels + c];
        }
      }
    }
  }
}
