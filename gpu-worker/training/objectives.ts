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
import type { Member as PairMember } from "../checkpoint/model_manifest.ts";
import type { TargetAlignment } from "./target_alignment.ts";

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

/** One tensor per network of the pair. */
export type Pair = Record<PairMember, tf.Tensor>;

/**
 * Unsupervised loss of a pair in the cut-mixed space (eq 5, docs/METHOD.md 5):
 * `L_u(pA, sg(tB)) + L_u(pB, sg(tA))` with L_u = USL, pseudo-label NLL or MSE, or the named
 * variant USL + Dice against the pseudo-labels. The targets t are the predictions themselves (the
 * paper) or, in the mean-teacher variant, the probabilities of each network's average.
 *
 * @param predictions [U, X, Y, Z, K] each: A's already mixed into B's geometry, B's on the mixed
 *   images.
 * @param targets the same shapes and geometry: `targets.a` teaches B, `targets.b` teaches A.
 * @param alignment rescales each target before use (the named variant of {@link TargetAlignment}).
 */
export function unsupervisedLoss(
  predictions: Pair,
  targets: Pair,
  config: Pick<TrainConfig, "unsupLoss" | "t1" | "t2">,
  alignment?: Pick<TargetAlignment, "align">,
): tf.Scalar {
  return tf.tidy(() => {
    const one = (prediction: tf.Tensor, source: PairMember): tf.Scalar => {
      const target = targets[source];
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
    return tf.add(one(predictions.a, "b"), one(predictions.b, "a"));
  });
}
