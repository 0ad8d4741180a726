/** Segmentation networks (docs/METHOD.md 3): V-Net, 3D U-Net, the text branch, and their seam. */
export {
  type ApplyOptions,
  createNetwork,
  type LayerSummary,
  type NetworkConfig,
  type NetworkConfigInput,
  NetworkConfigSchema,
  type SegmentationNetwork,
} from "./network.ts";
