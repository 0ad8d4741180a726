/** Segmentation losses of docs/METHOD.md 1.2 and 5 (one module per loss); classes are the last axis. */
export { crossEntropy } from "./cross_entropy.ts";
export { pseudoLabelDiceLoss, softDiceLoss } from "./dice.ts";
export { meanSquaredError, voxelSquaredError } from "./mse.ts";
export { LOG_EPS, pseudoLabelNll, voxelPseudoLabelNll } from "./nll.ts";
export { unifiedSegmentationLoss, type UslThresholds } from "./usl.ts";
export { supervisedSegmentationLoss, type SupervisedTerms } from "./supervised.ts";
