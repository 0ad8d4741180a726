/**
 * Data sets: the description users hand in (nnU-Net folders or the lineage's h5 lists), lazy
 * case listing, reproducible splits, per-case normalisation, and a synthetic dataset for smoke runs.
 */
export {
  DatasetDescription,
  H5ListLayout,
  NnUNetLayout,
  Normalization,
  parseDatasetDescription,
  SplitSpec,
  TASK_NORMALIZATION,
} from "./description.ts";
export {
  type CaseEntry,
  type DatasetMetadata,
  listCases,
  listImageFolder,
  readDatasetMetadata,
} from "./cases.ts";
export { type DatasetSplit, splitCases } from "./split.ts";
export { normalizeImage, percentileInPlace, prepareLabel } from "./normalize.ts";
export { loadCase, type LoadCaseOptions, type LoadedCase, readChannels } from "./load.ts";
export { type SyntheticDatasetOptions, writeSyntheticDataset } from "./synthetic.ts";
