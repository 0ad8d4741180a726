import * as tf from "@tensorflow/tfjs";
import type { Rng } from "@llmseg/shared";
import type { Shape3 } from "./sample.ts";

/** One CutMix draw for a group of unlabelled samples (docs/METHOD.md 4 DEFAULT). */
export interface CutMixBoxes {
  /** Per sample: box corner [x, y, z] (inclusive) in the patch. */
  corners: Shape3[];
  /** Box sides, `floor(2/3 · patch side)` (BCP: 74×74×53 for LA, 64³ for 96³). */
  size: Shape3;
  /** Partner of each sample (a derangement: a swap for two, a cyclic shift otherwise). */
  partner: number[];
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

/** The mask M `[count, X, Y, Z, 1]`, 1 inside each sample's box (voxels taken from the partner). */
export function cutMixMask(boxes: CutMixBoxes, patch: Shape3): tf.Tensor5D {
  const [X, Y, Z] = patch;
  const values = new Float32Array(boxes.corners.length * X * Y * Z);
  boxes.corners.forEach(([x0, y0, z0], n) => {
    for (let x = x0; x < x0 + boxes.size[0]; x++) {
      for (let y = y0; y < y0 + boxes.size[1]; y++) {
        const row = ((n * X + x) * Y + y) * Z;
        values.fill(1, row + z0, row + z0 + boxes.size[2]);
      }
    }
  });
  return tf.tensor5d(values, [boxes.corners.length, X, Y, Z, 1]);
}

/**
 * `mix(v)[i] = (1 − M_i)·v[i] + M_i·v[π(i)]` (docs/METHOD.md 4), for images, probabilities or one-hot
 * labels alike; differentiable in `v`.
 *
 * @param values [count, X, Y, Z, C].
 * @param mask [count, X, Y, Z, 1] from {@link cutMixMask}.
 * @param partner π, from {@link drawCutMix}.
 * @returns [count, X, Y, Z, C].
 */
export function applyCutMix(values: tf.Tensor, mask: tf.Tensor, partner: number[]): tf.Tensor {
  return tf.tidy(() => {
    const partners = tf.gather(values, tf.tensor1d(partner, "int32"));
    return tf.add(tf.mul(tf.sub(1, mask), values), tf.mul(mask, partners));
  });
}
