/**
 * Inference: sliding-window prediction of a whole volume (docs/METHOD.md 6). The CLI (`llmseg infer`)
 * and the queue worker both call
 *
 *   inferVolume(modelDir: string, volume: Volume, options?: InferOptions): Promise<InferResult>
 */
export { inferVolume } from "./infer.ts";
export { preprocessForModel } from "./preprocess.ts";
export type { EvaluatedNetwork, InferOptions, InferResult } from "./options.ts";
export { segment, type Segmentation, type SegmentOptions } from "./segment.ts";
export {
  argmaxLabels,
  slidingWindow,
  type WindowInput,
  windowPadding,
  type WindowPredictor,
  windowStarts,
} from "./sliding_window.ts";
export { keepLargestComponent } from "./largest_component.ts";
