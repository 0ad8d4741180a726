import * as tf from "@tensorflow/tfjs";
import type { Rng } from "@llmseg/shared";
import type { Shape3 } from "./sample.ts";

/** One CutMix draw for a group of unlabelled samples (docs/METHOD.md 4 DEFAULT). */
export interface CutMixBoxes {
  /** Per sample: box corner [x, y, z] (inclusive) in the patch. */
  corners: Shape3[];
  /** Box sides, `floor(2/3 · patch side)` (BCP: 74×74×53 for LA, 64³ for 96³). */
  size: Shape3;
  /**
   * Partner of each sample: another unlabelled sample (a derangement: a swap for two, a cyclic
   * shift otherwise), or a labelled one after {@link withLabelledPartners}.
   */
  partner: number[];
  /** Per sample: the partner fills everything but the box (BCP's outward direction). */
  inverted?: boolean[];
}

/**
 * Draws one box per sample: sides `floor(fraction · patch)`, corner `randint(0, dim − side)` per
 * axis (BCP's `context_mask`), partner = the next sample cyclically (a swap for two samples, so
 * mixing always happens).
 */
export function drawCutMix(count: number, patch: Shape3, rng: Rng, fraction = 2 / 3): CutMixBoxes {
  const size = patch.map((p) => Math.floor(p * fraction)) as Shape3;
  const corners = Array.from(
    { length: count },
    () => patch.map((p, a) => rng.integer(0, Math.max(p - size[a], 1))) as Shape3,
  );
  const partner = Array.from({ length: count }, (_, i) => (i + 1) % count);
  return { corners, size, partner };
}

/**
 * Bidirectional copy-paste (Bai et al., CVPR 2023, "BCP"; issue #12's named variant
 * `--cutmix-partner labelled`): sample i takes labelled sample `i mod labelled` as its partner,
 * inside its box for even i and outside it for odd i, so unlabelled scans and labelled ones are seen
 * in each other's context both ways.
 */
export function withLabelledPartners(boxes: CutMixBoxes, labelled: number): CutMixBoxes {
  return {
    ...boxes,
    partner: boxes.partner.map((_, i) => i % labelled),
    inverted: boxes.partner.map((_, i) => i % 2 === 1),
  };
}

/**
 * The mask M `[count, X, Y, Z, 1]`: 1 where a sample's voxels come from its partner (inside its
 * box, or outside it where `inverted`).
 */
export function cutMixMask(boxes: CutMixBoxes, patch: Shape3): tf.Tensor5D {
  const [X, Y, Z] = patch;
  const volume = X * Y * Z;
  const values = new Float32Array(boxes.corners.length * volume);
  boxes.corners.forEach(([x0, y0, z0], n) => {
    const inverted = boxes.inverted?.[n] ?? false;
    if (inverted) values.fill(1, n * volume, (n + 1) * volume);
    for (let x = x0; x < x0 + boxes.size[0]; x++) {
      for (let y = y0; y < y0 + boxes.size[1]; y++) {
        const row = ((n * X + x) * Y + y) * Z;
        values.fill(inverted ? 0 : 1, row + z0, row + z0 + boxes.size[2]);
      }
    }
  });
  return tf.tensor5d(values, [boxes.corners.length, X, Y, Z, 1]);
}

/**
 * `mix(v)[i] = (1 − M_i)·v[i] + M_i·s[π(i)]` (docs/METHOD.md 4), for images, probabilities or one-hot
 * labels alike; differentiable in `v` and `s`.
 *
 * @param values [count, X, Y, Z, C].
 * @param mask [count, X, Y, Z, 1] from {@link cutMixMask}.
 * @param partner π, from {@link drawCutMix} or {@link withLabelledPartners}.
 * @param source where the partners' voxels come from: `values` itself (CutMix among the unlabelled
 *   samples), or the labelled samples' counterpart of `values`.
 * @returns [count, X, Y, Z, C].
 */
export function applyCutMix(
  values: tf.Tensor,
  mask: tf.Tensor,
  partner: number[],
  source: tf.Tensor = values,
): tf.Tensor {
  return tf.tidy(() => {
    const partners = tf.gather(source, tf.tensor1d(partner, "int32"));
    return tf.add(tf.mul(tf.sub(1, mask), values), tf.mul(mask, partners));
  });
}
