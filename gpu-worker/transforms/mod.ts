/** Augmentation and sampling of docs/METHOD.md 2.2 and 4: small functions of a sample and an Rng. */
export { type Sample, sampleFromVolumes, type Shape3, toVolumeLayout } from "./sample.ts";
export {
  cropMap,
  flip,
  flipMap,
  identityMap,
  materialize,
  rot90,
  rot90Map,
  type VoxelMap,
} from "./spatial.ts";
export {
  augmentationFlipAxes,
  randomFlipMap,
  randomRotFlip,
  randomRotFlipMap,
} from "./rot_flip.ts";
export { cropPadding, randomCrop, randomCropMap } from "./random_crop.ts";
export {
  applyCutMix,
  type CutMixBoxes,
  cutMixMask,
  drawCutMix,
  withLabelledPartners,
} from "./cutmix.ts";
export { uniformNoise } from "./noise.ts";
export { TwoStreamSampler, type TwoStreamState } from "./two_stream_sampler.ts";
