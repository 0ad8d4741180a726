/**
 * Segments one scan already in network layout with one network or the co-trained pair
 * (docs/METHOD.md 6): sliding-window softmax (optionally averaged over flips of each window),
 * argmax, optional largest component, and the maps.
 */
import * as tf from "@tensorflow/tfjs";
import { UserError } from "@llmseg/shared";
import { checkInferenceSettings } from "../../shared/contracts/inference.ts";
import type { SegmentationNetwork } from "../networks/mod.ts";
import type { Shape3 } from "../transforms/mod.ts";
import type { EvaluatedNetwork } from "./options.ts";
import { argmaxLabels, slidingWindow, type WindowInput } from "./sliding_window.ts";
import { keepLargestComponent } from "./largest_component.ts";

export interface SegmentOptions {
  patch: Shape3;
  stride: Shape3;
  network: EvaluatedNetwork;
  largestComponent: boolean;
  /** Compute |p_A − p_B| of the foreground (needs `b`). */
  uncertainty: boolean;
  /**
   * Window axes (0-2) to mirror: each window's softmax is averaged over every combination of
   * their flips, unflipped back (test-time augmentation, nnU-Net's mirroring); default none.
   */
  mirrorAxes?: readonly (0 | 1 | 2)[];
}

/** Label map and maps, `[X, Y, Z]` row-major. */
export interface Segmentation {
  labels: Uint8Array;
  /** Softmax of the chosen network(s) per voxel and class, `[X, Y, Z, classes]` row-major. */
  probabilities: Float32Array;
  /** Foreground probability (1 − background), averaged over windows (and networks). */
  foreground: Float32Array;
  uncertainty?: Float32Array;
}

/**
 * @param a network A; `b` network B when the model is a co-trained pair.
 * @throws UserError when B is asked for but absent, or the patch does not suit the network.
 */
export async function segment(
  input: WindowInput,
  a: SegmentationNetwork,
  b: SegmentationNetwork | undefined,
  options: SegmentOptions,
): Promise<Segmentation> {
  checkInferenceSettings({ pair: b !== undefined }, options);
  if (options.patch.some((p) => p % 16 !== 0)) {
    throw new UserError(
      "bad_option",
      `patch ${options.patch.join("x")}: every side must be divisible by 16`,
    );
  }
  if (options.stride.some((s) => !(s >= 1))) {
    throw new UserError("bad_option", `stride ${options.stride.join("x")}: every side must be ≥ 1`);
  }
  const useA = options.network !== "b" || options.uncertainty;
  const useB = options.network !== "a" || options.uncertainty;
  const members = [...(useA ? [a] : []), ...(useB && b ? [b] : [])];
  const classes = a.config.classes;
  const flips = axisSubsets(options.mirrorAxes ?? []);
  const maps = await slidingWindow(
    input,
    (window) => members.map((net) => mirroredSoftmax(net, window, flips)),
    options.patch,
    options.stride,
    classes,
  );
  const pA = useA ? maps[0] : undefined;
  const pB = useB ? maps[maps.length - 1] : undefined;
  const chosen = options.network === "a"
    ? pA!
    : options.network === "b"
    ? pB!
    : pA!.map((v, i) => (v + pB![i]) / 2);
  const labels = argmaxLabels(chosen, classes);
  if (options.largestComponent) keepLargestComponent(labels, input.shape);
  const foreground = backgroundComplement(chosen, classes);
  let uncertainty: Float32Array | undefined;
  if (options.uncertainty) {
    const fgB = backgroundComplement(pB!, classes);
    uncertainty = backgroundComplement(pA!, classes).map((p, v) => Math.abs(p - fgB[v]));
  }
  return { labels, probabilities: chosen, foreground, uncertainty };
}

/** Every subset of `axes`, the empty one (no flip) first. */
function axisSubsets(axes: readonly number[]): number[][] {
  return axes.reduce<number[][]>((sets, axis) => [...sets, ...sets.map((s) => [...s, axis])], [[]]);
}

/** `net`'s softmax of `window` averaged over `flips` (sets of window axes), each flipped back. */
function mirroredSoftmax(
  net: SegmentationNetwork,
  window: tf.Tensor5D,
  flips: number[][],
): tf.Tensor5D {
  const maps = flips.map((axes) => {
    if (axes.length === 0) return tf.softmax(net.apply(window, { training: false }));
    const dims = axes.map((axis) => axis + 1); // past the batch axis
    return tf.reverse(tf.softmax(net.apply(tf.reverse(window, dims), { training: false })), dims);
  });
  return (maps.length === 1 ? maps[0] : tf.div(tf.addN(maps), maps.length)) as tf.Tensor5D;
}

/** 1 − p(background) per voxel: the foreground probability (any class > 0). */
export function backgroundComplement(probabilities: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(probabilities.length / classes);
  for (let v = 0; v < out.length; v++) out[v] = 1 - probabilities[v * classes];
  return out;
}
