/** Per-case intensity normalisation and label preparation (docs/METHOD.md section 2.1). */
import { UserError } from "../errors.ts";
import type { Volume } from "../volume/volume.ts";
import type { Normalization } from "./description.ts";

/**
 * Normalises every channel of an image on its own, in the order window → percentile clip →
 * z-score (see {@link Normalization}). With `zscore: "nonzero"`, statistics and percentiles come
 * from the voxels that were non-zero in the input (the brain of a skull-stripped scan), and the
 * others are 0 afterwards.
 *
 * @returns a float32 volume with the same shape, channels and geometry.
 */
export function normalizeImage(image: Volume, normalization: Normalization): Volume<Float32Array> {
  const [X, Y, Z] = image.shape;
  const n = X * Y * Z;
  const out = new Float32Array(image.data); // a typed-array copy, not an element-wise iteration
  for (let c = 0; c < image.channels; c++) {
    const channel = out.subarray(c * n, (c + 1) * n);
    const inside = normalization.zscore === "nonzero" ? nonZero(channel) : undefined;
    if (normalization.window) applyWindow(channel, normalization.window);
    if (normalization.clipPercentiles) {
      const sample = inside ? selected(channel, inside) : channel.slice();
      if (sample.length > 0) {
        const [low, high] = normalization.clipPercentiles;
        clip(channel, percentileInPlace(sample, low), percentileInPlace(sample, high));
      }
    }
    if (normalization.zscore !== "none") zscore(channel, inside);
  }
  return { ...image, data: out };
}

/**
 * A label volume as integer classes in uint8; with `binarize`, every non-zero value becomes 1
 * (hippocampus, BraTS whole tumour).
 * @throws UserError when a value is not an integer in [0, 255] (a probability map, say).
 */
export function prepareLabel(label: Volume, binarize: boolean): Volume<Uint8Array> {
  const data = new Uint8Array(label.data.length);
  for (let v = 0; v < data.length; v++) {
    const value = label.data[v];
    if (binarize) {
      data[v] = value !== 0 ? 1 : 0;
    } else if (Number.isInteger(value) && value >= 0 && value <= 255) {
      data[v] = value;
    } else {
      throw new UserError(
        "invalid_label",
        `${label.source?.path ?? "label"}: value ${value} is not a class index (an integer 0-255)`,
      );
    }
  }
  return { ...label, data };
}

function nonZero(channel: Float32Array): Uint8Array {
  const inside = new Uint8Array(channel.length);
  for (let v = 0; v < channel.length; v++) inside[v] = channel[v] !== 0 ? 1 : 0;
  return inside;
}

/** The values of `channel` where `inside` is 1, in order. */
function selected(channel: Float32Array, inside: Uint8Array): Float32Array {
  let count = 0;
  for (let v = 0; v < inside.length; v++) count += inside[v];
  const out = new Float32Array(count);
  for (let v = 0, n = 0; v < inside.length; v++) if (inside[v] === 1) out[n++] = channel[v];
  return out;
}

/** CT window: clip to [low, high] and rescale to [0, 1]. */
function applyWindow(channel: Float32Array, [low, high]: [number, number]): void {
  for (let v = 0; v < channel.length; v++) {
    channel[v] = (Math.min(Math.max(channel[v], low), high) - low) / (high - low);
  }
}

function clip(channel: Float32Array, low: number, high: number): void {
  for (let v = 0; v < channel.length; v++) channel[v] = Math.min(Math.max(channel[v], low), high);
}

/** `(x − mean) / max(std, 1e-8)` with the population std, over `inside` voxels when given. */
function zscore(channel: Float32Array, inside?: Uint8Array): void {
  let count = 0, sum = 0, sumSquares = 0;
  for (let v = 0; v < channel.length; v++) {
    if (inside && inside[v] === 0) continue;
    count++;
    sum += channel[v];
  }
  if (count === 0) return;
  const mean = sum / count;
  for (let v = 0; v < channel.length; v++) {
    if (inside && inside[v] === 0) continue;
    sumSquares += (channel[v] - mean) ** 2;
  }
  const std = Math.max(Math.sqrt(sumSquares / count), 1e-8);
  for (let v = 0; v < channel.length; v++) {
    channel[v] = inside && inside[v] === 0 ? 0 : (channel[v] - mean) / std;
  }
}

/**
 * numpy's linear percentile (`h = (n − 1)·q/100`, interpolate between the two order statistics
 * around h) by quickselect, O(n) instead of a sort of a whole scan. Reorders `values`.
 */
export function percentileInPlace(values: Float32Array, q: number): number {
  const h = (values.length - 1) * (q / 100);
  const below = Math.floor(h);
  const a = selectKth(values, below);
  if (below + 1 >= values.length) return a;
  // After selection everything right of `below` is ≥ a; the next order statistic is their minimum.
  let b = Infinity;
  for (let v = below + 1; v < values.length; v++) b = Math.min(b, values[v]);
  return a + (b - a) * (h - below);
}

/** Hoare quickselect: places the k-th smallest value at index k, smaller ones before it. */
function selectKth(values: Float32Array, k: number): number {
  let lo = 0, hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k];
}
