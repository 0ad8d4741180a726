/**
 * Sliding-window prediction exactly as the lineage's `test_single_case` (docs/METHOD.md 6; yulequan/UA-MT
 * `code/test_util.py`): zero-pad sides smaller than the patch, window starts `min(s·k, D − p)`,
 * plain averaging of the windows' softmax, crop the padding away.
 */
import * as tf from "@tensorflow/tfjs";
import type { Shape3 } from "../transforms/mod.ts";

/** A scan in network layout: `[X, Y, Z, C]` row-major. */
export interface WindowInput {
  shape: Shape3;
  channels: number;
  image: Float32Array;
}

/**
 * Maps one window `[1, px, py, pz, C]` to one or more probability maps `[1, px, py, pz, K]`
 * (e.g. network A's and B's softmax); each is averaged separately.
 */
export type WindowPredictor = (window: tf.Tensor5D) => tf.Tensor5D[];

/** Padding before each axis when a side is smaller than the patch: `(p − d)//2` (docs/METHOD.md 6.1). */
export function windowPadding(shape: Shape3, patch: Shape3): Shape3 {
  return shape.map((d, a) => (d < patch[a] ? Math.floor((patch[a] - d) / 2) : 0)) as Shape3;
}

/** Window starts along one axis: `n = ceil((D − p)/s) + 1`, start k = `min(s·k, D − p)`. */
export function windowStarts(size: number, patch: number, stride: number): number[] {
  const count = Math.ceil((size - patch) / stride) + 1;
  return Array.from({ length: count }, (_, k) => Math.min(stride * k, size - patch));
}

/**
 * Averages each predictor output over all windows.
 *
 * @param input the scan `[X, Y, Z, C]`.
 * @param predict window → probability maps (called inside a tidy; it may allocate freely).
 * @param classes K, channels of each map.
 * @returns (asynchronously: the outputs are read with `await data()`) one `[X, Y, Z, K]` row-major Float32Array per predictor output, on the input's grid.
 */
export async function slidingWindow(
  input: WindowInput,
  predict: WindowPredictor,
  patch: Shape3,
  stride: Shape3,
  classes: number,
): Promise<Float32Array[]> {
  const pad = windowPadding(input.shape, patch);
  const padded = input.shape.map((d, a) => Math.max(d, patch[a])) as Shape3;
  const [PX, PY, PZ] = padded;
  const C = input.channels;
  const starts = padded.map((d, a) => windowStarts(d, patch[a], stride[a]));
  const counts = new Float32Array(PX * PY * PZ);
  let scores: Float32Array[] = [];
  const window = new Float32Array(patch[0] * patch[1] * patch[2] * C);
  for (const sx of starts[0]) {
    for (const sy of starts[1]) {
      for (const sz of starts[2]) {
        copyWindow(input, pad, [sx, sy, sz], patch, window);
        // The tidy returns the tensors, not their arrays: tf.tidy walks its result for tensors,
        // element by element through a typed array (≈ 1.2 s per 112×112×80×2 window).
        const maps = tf.tidy(() => predict(tf.tensor5d(window, [1, ...patch, C])));
        // Async reads: dataSync fails under WebGPU (issue #13).
        const outputs = await Promise.all(maps.map(async (p) => await p.data() as Float32Array));
        tf.dispose(maps);
        if (scores.length === 0) {
          scores = outputs.map(() => new Float32Array(PX * PY * PZ * classes));
        }
        outputs.forEach((p, o) => accumulate(scores[o], p, [sx, sy, sz], patch, padded, classes));
        addCounts(counts, [sx, sy, sz], patch, padded);
      }
    }
  }
  return scores.map((s) => cropAverage(s, counts, pad, input.shape, padded, classes));
}

/** Copies the padded scan's window at `start` into `out` (zeros where padding). */
function copyWindow(
  input: WindowInput,
  pad: Shape3,
  start: Shape3,
  patch: Shape3,
  out: Float32Array,
): void {
  const [X, Y, Z] = input.shape;
  const C = input.channels;
  out.fill(0);
  for (let a = 0; a < patch[0]; a++) {
    const x = a + start[0] - pad[0];
    if (x < 0 || x >= X) continue;
    for (let b = 0; b < patch[1]; b++) {
      const y = b + start[1] - pad[1];
      if (y < 0 || y >= Y) continue;
      for (let c = 0; c < patch[2]; c++) {
        const z = c + start[2] - pad[2];
        if (z < 0 || z >= Z) continue;
        const from = ((x * Y + y) * Z + z) * C, to = ((a * patch[1] + b) * patch[2] + c) * C;
        for (let ch = 0; ch < C; ch++) out[to + ch] = input.image[from + ch];
      }
    }
  }
}

function accumulate(
  score: Float32Array,
  window: Float32Array,
  start: Shape3,
  patch: Shape3,
  padded: Shape3,
  K: number,
): void {
  for (let a = 0; a < patch[0]; a++) {
    for (let b = 0; b < patch[1]; b++) {
      const row = (((a + start[0]) * padded[1] + b + start[1]) * padded[2] + start[2]) * K;
      const from = (a * patch[1] + b) * patch[2] * K;
      for (let i = 0; i < patch[2] * K; i++) score[row + i] += window[from + i];
    }
  }
}

function addCounts(counts: Float32Array, start: Shape3, patch: Shape3, padded: Shape3): void {
  for (let a = 0; a < patch[0]; a++) {
    for (let b = 0; b < patch[1]; b++) {
      const row = ((a + start[0]) * padded[1] + b + start[1]) * padded[2] + start[2];
      for (let c = 0; c < patch[2]; c++) counts[row + c] += 1;
    }
  }
}

/** score / count, cropped back to the input grid. */
function cropAverage(
  score: Float32Array,
  counts: Float32Array,
  pad: Shape3,
  shape: Shape3,
  padded: Shape3,
  K: number,
): Float32Array {
  const [X, Y, Z] = shape;
  const out = new Float32Array(X * Y * Z * K);
  for (let x = 0; x < X; x++) {
    for (let y = 0; y < Y; y++) {
      for (let z = 0; z < Z; z++) {
        const p = ((x + pad[0]) * padded[1] + y + pad[1]) * padded[2] + z + pad[2];
        const o = (x * Y + y) * Z + z;
        for (let k = 0; k < K; k++) out[o * K + k] = score[p * K + k] / counts[p];
      }
    }
  }
  return out;
}

/** Label per voxel = argmax over classes, ties to the lower class (background). */
export function argmaxLabels(probabilities: Float32Array, classes: number): Uint8Array {
  const labels = new Uint8Array(probabilities.length / classes);
  for (let v = 0; v < labels.length; v++) {
    let best = 0;
    for (let k = 1; k < classes; k++) {
      if (probabilities[v * classes + k] > probabilities[v * classes + best]) best = k;
    }
    labels[v] = best;
  }
  return labels;
}
