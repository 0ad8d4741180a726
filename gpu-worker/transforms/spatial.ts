/**
 * Spatial transforms as integer affine voxel maps (out voxel → source voxel), composed before any
 * voxel is touched: a rotation, a flip and a crop of a whole scan cost one pass over the patch,
 * not one pass over the scan each. Image and label are moved alike.
 */
import type { Sample, Shape3 } from "./sample.ts";

/**
 * `source[i] = sign[i]·out[axis[i]] + offset[i]` for an output grid of `shape`; source voxels
 * outside the scan read as zero (padding).
 */
export interface VoxelMap {
  shape: Shape3;
  axis: Shape3;
  sign: Shape3;
  offset: Shape3;
}

/** The map that leaves a scan of `shape` as it is. */
export function identityMap(shape: Shape3): VoxelMap {
  return { shape: [...shape], axis: [0, 1, 2], sign: [1, 1, 1], offset: [0, 0, 0] };
}

/** Appends a step `mid[j] = sign[j]·out[axis[j]] + offset[j]` (out of shape `shape`) to `map`. */
function then(map: VoxelMap, step: VoxelMap): VoxelMap {
  const composed = identityMap(step.shape);
  for (let i = 0; i < 3; i++) {
    const j = map.axis[i];
    composed.axis[i] = step.axis[j];
    composed.sign[i] = map.sign[i] * step.sign[j];
    composed.offset[i] = map.sign[i] * step.offset[j] + map.offset[i];
  }
  return composed;
}

/** `np.rot90(m, k)` in the plane of axes (0, 1): k quarter turns from axis 0 towards axis 1. */
export function rot90Map(map: VoxelMap, k: number): VoxelMap {
  let out = map;
  for (let t = 0; t < ((k % 4) + 4) % 4; t++) {
    const [X, Y, Z] = out.shape;
    // np.rot90 = flip(transpose(m), axis 0): out[a, b, c] = m[b, Y − 1 − a, c].
    out = then(out, { shape: [Y, X, Z], axis: [1, 0, 2], sign: [1, -1, 1], offset: [0, Y - 1, 0] });
  }
  return out;
}

/** `np.flip(m, axis)` for a spatial axis 0, 1 or 2. */
export function flipMap(map: VoxelMap, axis: 0 | 1 | 2): VoxelMap {
  const sign: Shape3 = [1, 1, 1], offset: Shape3 = [0, 0, 0];
  sign[axis] = -1;
  offset[axis] = map.shape[axis] - 1;
  return then(map, { shape: map.shape, axis: [0, 1, 2], sign, offset });
}

/** The `patch`-sized window starting at `start` of the scan zero-padded by `pad` per side. */
export function cropMap(map: VoxelMap, pad: Shape3, start: Shape3, patch: Shape3): VoxelMap {
  const offset = start.map((s, a) => s - pad[a]) as Shape3;
  return then(map, { shape: [...patch], axis: [0, 1, 2], sign: [1, 1, 1], offset });
}

/** Applies `map` to `sample` (image and label). */
export function materialize(sample: Sample, map: VoxelMap): Sample {
  const [X, Y, Z] = map.shape;
  const C = sample.channels;
  const image = new Float32Array(X * Y * Z * C);
  const label = sample.label ? new Uint8Array(X * Y * Z) : undefined;
  // Per output axis d: the source step per voxel, and the output range that stays in the scan.
  const sourceStride = [sample.shape[1] * sample.shape[2], sample.shape[2], 1];
  const step = [0, 0, 0], low = [0, 0, 0], high = [...map.shape];
  let base = 0;
  for (let i = 0; i < 3; i++) {
    const d = map.axis[i], sign = map.sign[i], offset = map.offset[i];
    step[d] = sign * sourceStride[i];
    base += offset * sourceStride[i];
    // 0 ≤ sign·o + offset < size  ⇔  o in [low, high).
    const [from, to] = sign > 0
      ? [-offset, sample.shape[i] - offset]
      : [offset - sample.shape[i] + 1, offset + 1];
    low[d] = Math.max(low[d], from);
    high[d] = Math.min(high[d], to);
  }
  for (let a = low[0]; a < high[0]; a++) {
    for (let b = low[1]; b < high[1]; b++) {
      let source = base + a * step[0] + b * step[1] + low[2] * step[2];
      let out = (a * Y + b) * Z + low[2];
      for (let c = low[2]; c < high[2]; c++, source += step[2], out++) {
        for (let ch = 0; ch < C; ch++) image[out * C + ch] = sample.image[source * C + ch];
        if (label) label[out] = sample.label![source];
      }
    }
  }
  return { shape: [...map.shape], channels: C, image, label };
}

/** {@link rot90Map} applied to a sample. */
export function rot90(sample: Sample, k: number): Sample {
  return materialize(sample, rot90Map(identityMap(sample.shape), k));
}

/** {@link flipMap} applied to a sample. */
export function flip(sample: Sample, axis: 0 | 1 | 2): Sample {
  return materialize(sample, flipMap(identityMap(sample.shape), axis));
}
