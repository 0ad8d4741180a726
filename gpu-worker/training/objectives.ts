/**
 * L_s (eq 3) and L_u (eq 5) with the ablation switches of Tables 6 and 7, classes last.
 */
import * as tf from "@tensorflow/tfjs";
import {
  meanSquaredError,
  pseudoLabelDiceLoss,
  pseudoLabelNll,
  supervisedSegmentationLoss,
  unifiedSegmentationLoss,
} from "../losses/mod.ts";
import type { TrainConfig } from "./config.ts";
import { stopGradient } from "./stop_gradient.ts";
import type { PairMember, TargetAlignment } from "./target_alignment.ts";

/**
 * Supervised loss of one network: CE and/or the lineage's soft Dice (eq 3, weights 1). Dice is
 * taken per foreground class and averaged (for K = 2 exactly the lineage's foreground Dice), in one
 * op with a hand-written gradient ({@link supervisedSegmentationLoss}).
 *
 * @param logits [L, X, Y, Z, K] of the labelled samples.
 * @param labels [L, X, Y, Z] int32.
 */
export function supervisedLoss(
  logits: tf.Tensor,
  labels: tf.Tensor,
  kind: TrainConfig["supLoss"],
): tf.Scalar {
  return supervisedSegmentationLoss(logits, labels, kind);
}

/**
 * Unsupervised loss of a pair in the cut-mixed space (eq 5, docs/METHOD.md 5):
 * `L_u(pA, sg(pB)) + L_u(pB, sg(pA))` with L_u = USL, pseudo-label NLL or MSE, or the named
 * variant USL + Dice against the pseudo-labels.
 *
 * @param pA [U, X, Y, Z, K] network A's probabilities, already mixed into B's geometry.
 * @param pB [U, X, Y, Z, K] network B's probabilities on the mixed images.
 * @param alignment rescales each target before use (the named variant of {@link TargetAlignment}).
 */
export function unsupervisedLoss(
  pA: tf.Tensor,
  pB: tf.Tensor,
  config: Pick<TrainConfig, "unsupLoss" | "t1" | "t2">,
  alignment?: Pick<TargetAlignment, "align">,
): tf.Scalar {
  return tf.tidy(() => {
    const one = (prediction: tf.Tensor, target: tf.Tensor, source: PairMember): tf.Scalar => {
      const fixed = stopGradient(alignment ? alignment.align(target, source) : target);
      switch (config.unsupLoss) {
        case "usl":
          return unifiedSegmentationLoss(prediction, fixed, config);
        case "usl+dice":
          return tf.add(
            unifiedSegmentationLoss(prediction, fixed, config),
            pseudoLabelDiceLoss(prediction, fixed),
          );
        case "nll":
          return pseudoLabelNll(prediction, fixed);
        case "mse":
          return meanSquaredError(prediction, fixed);
      }
    };
    return tf.add(one(pA, pB, "b"), one(pB, pA, "a"));
  });
}
