/** One call from a dataset description to its split and a loader for its cases. */
import type { ReadVolumeOptions } from "../volume/mod.ts";
import { type CaseEntry, listCases } from "./cases.ts";
import type { DatasetDescription } from "./description.ts";
import { loadCase, type LoadedCase } from "./load.ts";
import { type DatasetSplit, splitCases } from "./split.ts";

/** A dataset whose cases are listed and split, not yet read. */
export interface OpenedDataset {
  description: DatasetDescription;
  split: DatasetSplit;
  /** Reads one case with the description's normalisation and label handling. */
  load(entry: CaseEntry): Promise<LoadedCase>;
}

/**
 * Lists and splits the cases of `description` (no voxels read) and returns a loader for them.
 * @param read reader options (size limits); an h5 layout's `spacing` is added to them.
 * @example
 * ```ts ignore
 * const dataset = await openDataset(parseDatasetDescription(json, "la.json"));
 * const first = await dataset.load(dataset.split.labelled[0]);
 * ```
 */
export async function openDataset(
  description: DatasetDescription,
  read: ReadVolumeOptions = {},
): Promise<OpenedDataset> {
  const split = splitCases(await listCases(description.source), description.split);
  const source = description.source;
  const options = {
    normalization: description.normalization,
    binarizeLabel: description.binarizeLabel,
    read: source.layout === "h5-list" && source.spacing
      ? { ...read, hdf5Spacing: source.spacing }
      : read,
  };
  return { description, split, load: (entry) => loadCase(entry, options) };
}
