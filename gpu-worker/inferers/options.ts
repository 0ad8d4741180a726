/** Options and results of whole-volume inference (docs/METHOD.md 6). */
import type { Volume } from "../../shared/volume/volume.ts";
import type { EvaluatedNetwork } from "../../shared/contracts/inference.ts";

export type { EvaluatedNetwork };

export interface InferOptions {
  /** Window size [X, Y, Z]; default: the model's training patch. */
  patch?: [number, number, number];
  /** Window stride [X, Y, Z]; default: the model's validation stride. */
  stride?: [number, number, number];
  /** Default "a"; "average" averages the two networks' window softmax. */
  network?: EvaluatedNetwork;
  /** Keep only the largest 26-connected foreground component (docs/METHOD.md 6.5); default false. */
  largestComponent?: boolean;
  /**
   * Average each window's softmax over its flips along the axes the training augmentation flipped
   * (test-time augmentation; 2^axes predictions per window); default false.
   */
  tta?: boolean;
  /** Also return the foreground probability (float32, averaged over windows). */
  probabilities?: boolean;
  /** Also return |p_A − p_B| of the foreground probability (needs a co-trained model). */
  uncertainty?: boolean;
}

export interface InferResult {
  /** Label map (uint8), same shape, spacing, affine and source as the input. */
  mask: Volume<Uint8Array>;
  probabilities?: Volume<Float32Array>;
  uncertainty?: Volume<Float32Array>;
  /** Ways the input is unlike the model's training data (spacing, orientation, intensities). */
  warnings: string[];
  /** The spacings in mm when the input was resampled to the model's training spacing and back. */
  resampled?: { from: [number, number, number]; to: [number, number, number] };
}
