/** Reads one listed case into memory, normalised and ready for training or evaluation. */
import { UserError } from "../errors.ts";
import { readVolume, type ReadVolumeOptions } from "../volume/mod.ts";
import type { Volume } from "../volume/volume.ts";
import type { CaseEntry } from "./cases.ts";
import type { Normalization } from "./description.ts";
import { normalizeImage, prepareLabel } from "./normalize.ts";

/** A case in memory. */
export interface LoadedCase {
  id: string;
  /** [C, X, Y, Z] float32 (channel-major), normalised per channel. */
  image: Volume<Float32Array>;
  /** Integer classes on the image's grid, when the case has a label. */
  label?: Volume<Uint8Array>;
  /**
   * Raw (unnormalised) intensities of up to {@link FOREGROUND_SAMPLE} labelled voxels per channel,
   * as nnU-Net samples them for its dataset fingerprint; only for a labelled case.
   */
  foregroundSample?: Float32Array[];
}

/** Foreground voxels sampled per case and channel for the intensity statistics (nnU-Net: 10⁴). */
export const FOREGROUND_SAMPLE = 10000;

export interface LoadCaseOptions {
  normalization: Normalization;
  binarizeLabel: boolean;
  /**
   * Classes of the model (background included): a label value ≥ this is refused, never silently
   * dropped. Absent: any class index 0-255.
   */
  classes?: number;
  /** Passed to the reader (HDF5 voxel size, size limits). */
  read?: ReadVolumeOptions;
}

/**
 * Reads a case's channels (one file each, or one multi-channel file), stacks them, normalises
 * them, and reads its label.
 * @throws UserError when the channels or the label do not share one grid.
 */
export async function loadCase(entry: CaseEntry, options: LoadCaseOptions): Promise<LoadedCase> {
  const channels: Volume[] = [];
  for (const path of entry.images) channels.push(await readVolume(path, options.read));
  const image = normalizeImage(stackChannels(channels, entry.id), options.normalization);
  if (entry.label === undefined) return { id: entry.id, image };
  const label = await readVolume(entry.label, options.read);
  checkSameGrid(channels[0], label, entry.id);
  if (label.channels !== 1) {
    throw new UserError(
      "invalid_label",
      `${entry.label}: a label has 1 channel, not ${label.channels}`,
    );
  }
  const prepared = prepareLabel(label, options.binarizeLabel);
  if (options.classes !== undefined) checkClasses(prepared, options.classes);
  return {
    id: entry.id,
    image,
    label: prepared,
    foregroundSample: sampleForeground(channels, prepared.data),
  };
}

/**
 * Refuses label values the model has no class for: one-hot encoding would turn them into all-zero
 * targets, and the network would be trained on nothing there.
 */
function checkClasses(label: Volume<Uint8Array>, classes: number): void {
  const seen = new Set<number>();
  for (let v = 0; v < label.data.length; v++) if (label.data[v] >= classes) seen.add(label.data[v]);
  if (seen.size === 0) return;
  const values = [...seen].sort((a, b) => a - b).join(", ");
  throw new UserError(
    "invalid_label",
    `${label.source?.path ?? "label"}: holds label value(s) ${values}, but the model has ` +
      `${classes} classes (0..${classes - 1}); train every class with --classes ` +
      `${Math.max(...seen) + 1}, or merge all non-zero labels into one foreground with ` +
      "--merge-labels",
  );
}

/** Every k-th raw voxel inside the label, per channel, at most {@link FOREGROUND_SAMPLE}. */
function sampleForeground(channels: Volume[], label: Uint8Array): Float32Array[] {
  let inside = 0;
  for (let v = 0; v < label.length; v++) if (label[v] !== 0) inside++;
  const step = Math.max(1, Math.ceil(inside / FOREGROUND_SAMPLE));
  const samples: Float32Array[] = [];
  for (const volume of channels) {
    const n = label.length;
    for (let c = 0; c < volume.channels; c++) {
      const data = volume.data.subarray(c * n, (c + 1) * n);
      const sample = new Float32Array(Math.ceil(inside / step));
      let seen = 0, taken = 0;
      for (let v = 0; v < n; v++) {
        if (label[v] !== 0 && seen++ % step === 0) sample[taken++] = data[v];
      }
      samples.push(sample.subarray(0, taken));
    }
  }
  return samples;
}

function checkSameGrid(reference: Volume, other: Volume, id: string): void {
  if (other.shape.some((size, axis) => size !== reference.shape[axis])) {
    throw new UserError(
      "shape_mismatch",
      `case ${id}: ${other.source?.path} has shape ${other.shape.join("x")} but ` +
        `${reference.source?.path} has ${reference.shape.join("x")}`,
    );
  }
  // Same shape, other spacing: a channel or label of another acquisition (nnU-Net checks this).
  const spacingOff = other.spacing.some((s, axis) =>
    Math.abs(s - reference.spacing[axis]) > 1e-3 * Math.max(1, reference.spacing[axis])
  );
  if (spacingOff) {
    throw new UserError(
      "geometry_mismatch",
      `case ${id}: ${other.source?.path} has spacing ${other.spacing.join("x")} mm but ` +
        `${reference.source?.path} has ${reference.spacing.join("x")} mm`,
    );
  }
}

/**
 * Reads one scan's channel files (nnU-Net's `{case}_0000`, `_0001`, …) into one volume, channels
 * in the order given.
 * @throws UserError when the files do not share one grid.
 */
export async function readChannels(paths: string[], read?: ReadVolumeOptions): Promise<Volume> {
  const channels: Volume[] = [];
  for (const path of paths) channels.push(await readVolume(path, read));
  return stackChannels(channels, paths[0]);
}

/** One volume holding every channel in order; geometry from the first. */
function stackChannels(channels: Volume[], id: string): Volume {
  if (channels.length === 1) return channels[0];
  for (const channel of channels.slice(1)) checkSameGrid(channels[0], channel, id);
  const total = channels.reduce((sum, c) => sum + c.data.length, 0);
  const data = new Float32Array(total);
  let offset = 0;
  for (const channel of channels) {
    data.set(channel.data, offset);
    offset += channel.data.length;
  }
  const channelCount = channels.reduce((sum, c) => sum + c.channels, 0);
  return { ...channels[0], channels: channelCount, data };
}
