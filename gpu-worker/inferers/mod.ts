/**
 * Inference: sliding-window prediction of a whole volume (METHOD.md 6). The CLI (`llmseg infer`)
 * and the queue worker both call
 *
 *   inferVolume(modelDir: string, volume: Volume, options?: InferOptions): Promise<InferResult>
 */
export type { EvaluatedNetwork, InferOptions, InferResult } from "./options.ts";
