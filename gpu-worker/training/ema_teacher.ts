/**
 * Mean-teacher pseudo-labels (Tarvainen & Valpola 2017; the UA-MT lineage's EMA update), issue
 * #12's named variant `--pseudo-labels partner-ema`, not the paper's: each network's L_u target
 * comes from an exponential moving average of its partner's weights instead of the partner itself.
 * Aimed at the 4-labelled weight-1 breakdown, where each network confirms its partner's latest
 * errors: an average over about the last 1 / (1 − decay) steps changes more slowly than either
 * network. There it slowed the breakdown without stopping it; at 14 labelled on top of USL + Dice
 * it is level with the runs without it over three seeds (docs/results.md).
 */
import * as tf from "@tensorflow/tfjs";
import type { SegmentationNetwork } from "../networks/mod.ts";
import type { Member as PairMember } from "../checkpoint/model_manifest.ts";

/** An averaged copy of one network, predicting in eval mode (running statistics, no dropout). */
export class EmaTeacher {
  /**
   * @param network the student's initial state (UA-MT starts the teacher as a copy: build it from
   *   the student's seed) or the teacher a checkpoint saved.
   * @param decay weight of the past in the average (the contract's default: UA-MT's).
   */
  constructor(readonly network: SegmentationNetwork, readonly decay: number) {}

  /**
   * Folds the student's state in after step `it` (0-based): teacher = α·teacher + (1 − α)·student
   * with α = min(1 − 1 / (it + 1), decay), UA-MT's warm-up, so the first steps are not averaged
   * with the initialisation for long. BN running statistics are averaged as the weights are.
   */
  follow(student: SegmentationNetwork, it: number): void {
    const alpha = Math.min(1 - 1 / (it + 1), this.decay);
    const source = student.namedState();
    tf.tidy(() => {
      for (const [name, teacher] of this.network.namedState()) {
        teacher.assign(tf.add(tf.mul(teacher, alpha), tf.mul(source.get(name)!, 1 - alpha)));
      }
    });
  }

  /** Class probabilities `[N, X, Y, Z, K]` of the averaged network. */
  predict(x: tf.Tensor5D): tf.Tensor5D {
    return tf.tidy(() => tf.softmax(this.network.apply(x, { training: false })));
  }
}

/** A's and B's averages. */
export type TeacherPair = Record<PairMember, EmaTeacher>;
