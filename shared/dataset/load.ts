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
}

export interface LoadCaseOptions {
  normalization: Normalization;
  binarizeLabel: boolean;
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
  return { id: entry.id, image, label: prepareLabel(label, options.binarizeLabel) };
}

function checkSameGrid(reference: Volume, other: Volume, id: string): void {
  if (other.shape.some((size, axis) => size !== reference.shape[axis])) {
    throw new UserError(
      "shape_mismatch",
      `case ${id}: ${other.source?.path} has shape ${other.shape.join("x")} but ` +
        `${reference.source?.path} has ${reference.shape.join("x")}`,
    );
  }
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
