/**
 * Distribution alignment of the pseudo-label targets (ReMixMatch, Berthelot et al. 2020), issue
 * #12's named variant `--target-alignment class-prior`, not the paper's: before a partner's
 * probabilities p become the other network's L_u target they are rescaled per class by π / m and
 * renormalised per voxel, where π is the running class fraction of the labelled patches and m the
 * running mean of that partner's probabilities on the unlabelled patches. Aimed at a pair that
 * drifts towards one class (with 4 labelled hippocampus cases at weight 1 it over-segments, 1.2-1.9
 * times the true volume): there it slowed the breakdown without stopping it, and it changed nothing
 * where nothing broke down (docs/results.md).
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import type { Member as PairMember } from "../checkpoint/model_manifest.ts";

const classFractions = z.array(z.number().min(0).max(1)).min(2);

/** Running averages of the alignment, as saved in a training checkpoint. */
export const TargetAlignmentStateSchema = z.strictObject({
  /** π: class fractions of the labelled patches' labels. */
  prior: classFractions,
  /** m: mean class probabilities of each network on the unlabelled patches. */
  marginals: z.strictObject({ a: classFractions, b: classFractions }),
}).refine(
  (s) => s.marginals.a.length === s.prior.length && s.marginals.b.length === s.prior.length,
  { message: "prior and marginals must have one fraction per class each" },
);
export type TargetAlignmentState = z.infer<typeof TargetAlignmentStateSchema>;

/** One batch's class fractions, each `[K]`. */
export type AlignmentObservation = TargetAlignmentState;

/** Weight of the past in the running averages: about the last 100 batches count (ReMixMatch: 128). */
const MOMENTUM = 0.99;
/** Floor of a marginal, so that a class the network never predicts does not divide by zero. */
const FLOOR = 1e-6;

/** Mean over every axis but the last (classes) of `[..., K]`: `[K]`. */
export function classMeans(x: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.mean(tf.reshape(x, [-1, x.shape[x.rank - 1]]), 0) as tf.Tensor1D);
}

/** The running averages and the rescaling they define; identity until the first observation. */
export class TargetAlignment {
  #state?: TargetAlignmentState;

  constructor(state?: TargetAlignmentState) {
    this.#state = state && structuredClone(state);
  }

  get state(): TargetAlignmentState | undefined {
    return this.#state && structuredClone(this.#state);
  }

  /**
   * `p ⊙ π / m_source`, renormalised over the classes.
   *
   * @param p [..., K] probabilities of network `source`.
   */
  align(p: tf.Tensor, source: PairMember): tf.Tensor {
    const state = this.#state;
    if (!state) return p;
    const marginal = state.marginals[source];
    const ratio = state.prior.map((prior, k) => prior / Math.max(marginal[k], FLOOR));
    return tf.tidy(() => {
      const weighted = tf.mul(p, tf.tensor1d(ratio));
      return tf.div(weighted, tf.sum(weighted, -1, true));
    });
  }

  /** Folds one batch into the running averages (the first batch starts them). */
  observe(batch: AlignmentObservation): void {
    const past = this.#state;
    const blend = (old: number[], now: number[]) =>
      old.map((v, k) => MOMENTUM * v + (1 - MOMENTUM) * now[k]);
    this.#state = past
      ? {
        prior: blend(past.prior, batch.prior),
        marginals: {
          a: blend(past.marginals.a, batch.marginals.a),
          b: blend(past.marginals.b, batch.marginals.b),
        },
      }
      : structuredClone(batch);
  }
}
