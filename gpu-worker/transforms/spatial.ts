/**
 * Spatial transforms of one {@link Sample}, applied identically to image and label, with one
 * generic voxel remapping underneath (out voxel → source voxel).
 */
import type { Sample, Shape3 } from "./sample.ts";

/**
 * Builds the sample of shape `shape` whose voxel (a, b, c) is the source voxel `source(a, b, c)`,
 * or zero when `source` returns undefined (padding).
 */
export function remap(
  sample: Sample,
  shape: Shape3,
  source: (a: number, b: number, c: number) => Shape3 | undefined,
): Sample {
  const [X, Y, Z] = shape;
  const [, SY, SZ] = sample.shape;
  const C = sample.channels;
  const image = new Float32Array(X * Y * Z * C);
  const label = sample.label ? new Uint8Array(X * Y * Z) : undefined;
  for (let a = 0; a < X; a++) {
    for (let b = 0; b < Y; b++) {
      for (let c = 0; c < Z; c++) {
        const from = source(a, b, c);
        if (!from) continue;
        const s = (from[0] * SY + from[1]) * SZ + from[2];
        const o = (a * Y + b) * Z + c;
        for (let ch = 0; ch < C; ch++) image[o * C + ch] = sample.image[s * C + ch];
        if (label) label[o] = sample.label![s];
      }
    }
  }
  return { shape, channels: C, image, label };
}

/** `np.rot90(m, k)` in the plane of axes (0, 1): k quarter turns from axis 0 towards axis 1. */
export function rot90(sample: Sample, k: number): Sample {
  const turns = ((k % 4) + 4) % 4;
  let out = sample;
  for (let t = 0; t < turns; t++) {
    const [X, Y, Z] = out.shape;
    // np.rot90 = flip(transpose(m), axis 0): out[a, b, c] = m[b, Y − 1 − a, c].
    out = remap(out, [Y, X, Z], (a, b, c) => [b, Y - 1 - a, c]);
  }
  return out;
}

/** `np.flip(m, axis)` for a spatial axis 0, 1 or 2. */
export function flip(sample: Sample, axis: 0 | 1 | 2): Sample {
  const shape = sample.shape;
  return remap(sample, shape, (a, b, c) => {
    const p: Shape3 = [a, b, c];
    p[axis] = shape[axis] - 1 - p[axis];
    return p;
  });
}
