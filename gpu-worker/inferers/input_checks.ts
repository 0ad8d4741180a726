/**
 * What inference says about an input before segmenting it: a label map is refused, and an input
 * unlike the training data (another spacing, orientation, an oblique grid, intensities outside
 * the training range) is segmented with a warning, as nnU-Net's users would want to know.
 */
import { UserError } from "@llmseg/shared";
import type { DatasetFingerprint } from "../../shared/dataset/fingerprint.ts";
import { percentileInPlace } from "../../shared/dataset/normalize.ts";
import { axisCodes } from "../../shared/volume/orient.ts";
import type { Volume } from "../../shared/volume/volume.ts";

/** At most this many distinct integer values in every channel: a label map, not a scan. */
const LABEL_MAP_VALUES = 8;

/**
 * Refuses a volume whose every channel holds only a few integer values: a mask or label file
 * given as the scan would be segmented into nonsense with exit code 0.
 */
export function refuseLabelMap(volume: Volume): void {
  const n = volume.shape[0] * volume.shape[1] * volume.shape[2];
  const values = new Set<number>();
  for (let v = 0; v < volume.channels * n; v++) {
    const value = volume.data[v];
    if (!Number.isInteger(value)) return;
    values.add(value);
    if (values.size > LABEL_MAP_VALUES) return;
  }
  throw new UserError(
    "invalid_volume",
    `${volume.source?.path ?? "input"}: holds only the values ${
      [...values].sort((a, b) => a - b)
        .join(", ")
    }; this looks like a label map, not a scan (give the image, e.g. imagesTr/…_0000)`,
  );
}

/** Above this ratio between input and training spacing on an axis, the input is unusual. */
const SPACING_RATIO = 1.5;

/**
 * Warnings for an input unlike the training data `fingerprint` (empty when it is alike).
 */
export function inputWarnings(volume: Volume, fingerprint: DatasetFingerprint): string[] {
  const warnings: string[] = [];
  const where = volume.source?.path ?? "input";
  const trained = fingerprint.spacing;
  const ratio = Math.max(
    ...volume.spacing.map((s, axis) => Math.max(s / trained[axis], trained[axis] / s)),
  );
  if (ratio > SPACING_RATIO) {
    warnings.push(
      `${where}: spacing ${mm(volume.spacing)} mm is unlike the training data's ${
        mm(trained)
      } mm (up to ${ratio.toFixed(1)}× on an axis); it is resampled to the training spacing ` +
        "and back, but detail finer or coarser than the training data's cannot be recovered",
    );
  }
  const angle = obliqueDegrees(volume);
  if (angle > 1) {
    warnings.push(
      `${where}: the grid is oblique (${angle.toFixed(1)}° from the world axes); the model saw ` +
        "axis-aligned scans and segments the voxel grid as it is",
    );
  }
  const codes = axisCodes(volume.affine);
  if (codes !== fingerprint.orientation) {
    warnings.push(
      `${where}: orientation ${codes}, the model was trained on ${fingerprint.orientation} ` +
        `scans: its voxel axes run differently (reorient the scan to ${fingerprint.orientation})`,
    );
  }
  const n = volume.shape[0] * volume.shape[1] * volume.shape[2];
  fingerprint.intensity.forEach((stats, c) => {
    const sample = nonZeroSample(volume.data.subarray(c * n, (c + 1) * n));
    if (sample.length === 0) return;
    const low = percentileInPlace(sample, 0.5), high = percentileInPlace(sample, 99.5);
    if (high < stats.p00_5 || low > stats.p99_5) {
      const name = fingerprint.channelNames?.[c] ?? `channel ${c}`;
      warnings.push(
        `${where}: ${name} intensities ${low.toPrecision(4)}…${high.toPrecision(4)} do not ` +
          `overlap the training foreground's ${stats.p00_5.toPrecision(4)}…` +
          `${stats.p99_5.toPrecision(4)} (0.5-99.5 %): another modality, channel order or scaling?`,
      );
    }
  });
  return warnings;
}

function mm(spacing: readonly number[]): string {
  return spacing.map((s) => Number(s.toFixed(3))).join("x");
}

/** Largest angle in degrees between a voxel axis and the world axis it runs closest to. */
function obliqueDegrees(volume: Volume): number {
  let worst = 0;
  for (let axis = 0; axis < 3; axis++) {
    const column = [0, 1, 2].map((row) => volume.affine[row][axis]);
    const norm = Math.hypot(...column) || 1;
    const cosine = Math.max(...column.map((x) => Math.abs(x) / norm));
    worst = Math.max(worst, Math.acos(Math.min(1, cosine)) * 180 / Math.PI);
  }
  return worst;
}

/** Up to 100 000 non-zero values of a channel (every k-th), for its percentiles. */
function nonZeroSample(channel: ArrayLike<number>): Float32Array {
  const step = Math.max(1, Math.floor(channel.length / 100000));
  const out: number[] = [];
  for (let v = 0; v < channel.length; v += step) if (channel[v] !== 0) out.push(channel[v]);
  return Float32Array.from(out);
}
