import type { Rng } from "@llmseg/shared";

/** Saved state of a {@link TwoStreamSampler} (JSON, kept in checkpoints). */
export interface TwoStreamState {
  labeledOrder: number[];
  labeledCursor: number;
  unlabeledOrder: number[];
  unlabeledCursor: number;
}

/**
 * The lineage's `TwoStreamBatchSampler` (docs/METHOD.md 2.2): each batch is `labeledPerBatch` labelled
 * indices (one permutation per epoch, an incomplete tail dropped) followed by `unlabeledPerBatch`
 * unlabelled ones (an endless chain of permutations). Indices are positions in the two lists.
 */
export class TwoStreamSampler {
  #state: TwoStreamState;

  constructor(
    readonly labeledCount: number,
    readonly unlabeledCount: number,
    readonly labeledPerBatch: number,
    readonly unlabeledPerBatch: number,
    state?: TwoStreamState,
  ) {
    if (labeledCount < labeledPerBatch) {
      throw new RangeError(
        `${labeledCount} labelled cases cannot fill ${labeledPerBatch} per batch`,
      );
    }
    if (unlabeledPerBatch > 0 && unlabeledCount === 0) {
      throw new RangeError(
        "unlabelled samples per batch requested but there are no unlabelled cases",
      );
    }
    this.#state = state
      ? structuredClone(state)
      : { labeledOrder: [], labeledCursor: 0, unlabeledOrder: [], unlabeledCursor: 0 };
  }

  /** The next batch: labelled indices then unlabelled indices. */
  next(rng: Rng): { labeled: number[]; unlabeled: number[] } {
    const s = this.#state;
    if (s.labeledCursor + this.labeledPerBatch > s.labeledOrder.length) {
      s.labeledOrder = rng.permutation(this.labeledCount);
      s.labeledCursor = 0;
    }
    const labeled = s.labeledOrder.slice(s.labeledCursor, s.labeledCursor + this.labeledPerBatch);
    s.labeledCursor += this.labeledPerBatch;
    const unlabeled: number[] = [];
    while (unlabeled.length < this.unlabeledPerBatch) {
      if (s.unlabeledCursor >= s.unlabeledOrder.length) {
        s.unlabeledOrder = rng.permutation(this.unlabeledCount);
        s.unlabeledCursor = 0;
      }
      unlabeled.push(s.unlabeledOrder[s.unlabeledCursor++]);
    }
    return { labeled, unlabeled };
  }

  get state(): TwoStreamState {
    return structuredClone(this.#state);
  }
}
