/**
 * Overlap metrics on binary masks, as medpy's `dc` and `jc` (docs/METHOD.md section 7).
 * Masks are flat arrays of one volume's voxels; any non-zero value is object.
 */

/** Voxel counts of two masks and of their intersection. */
interface OverlapCounts {
  pred: number;
  label: number;
  both: number;
}

function overlapCounts(pred: Uint8Array, label: Uint8Array): OverlapCounts {
  if (pred.length !== label.length) {
    throw new RangeError(`masks differ in size: ${pred.length} vs ${label.length} voxels`);
  }
  let p = 0, l = 0, both = 0;
  for (let v = 0; v < pred.length; v++) {
    const a = pred[v] !== 0, b = label[v] !== 0;
    if (a) p++;
    if (b) l++;
    if (a && b) both++;
  }
  return { pred: p, label: l, both };
}

/**
 * Dice `2|A∩B| / (|A| + |B|)`. Both masks empty gives 0, as medpy's `dc` does (its
 * ZeroDivisionError branch; docs/METHOD.md's "1.0 if both empty" does not match medpy's code).
 */
export function dice(pred: Uint8Array, label: Uint8Array): number {
  const c = overlapCounts(pred, label);
  const total = c.pred + c.label;
  return total === 0 ? 0 : (2 * c.both) / total;
}

/**
 * Jaccard `|A∩B| / |A∪B|`. Both masks empty gives 0 (medpy's `jc` would divide by zero; the
 * lineage reports zeros for empty masks).
 */
export function jaccard(pred: Uint8Array, label: Uint8Array): number {
  const c = overlapCounts(pred, label);
  const union = c.pred + c.label - c.both;
  return union === 0 ? 0 : c.both / union;
}
