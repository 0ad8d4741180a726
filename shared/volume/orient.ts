import type { Affine, Volume } from "./volume.ts";
import { allocateVoxels, voxelTypeOf } from "./voxel_type.ts";

/** World direction letters of the positive ends of the RAS+ axes, and their opposites. */
const POSITIVE = ["R", "A", "S"] as const;
const NEGATIVE = ["L", "P", "I"] as const;

/** Axis codes such as "RAS" or "LPS": the world direction each voxel axis i, j, k increases to. */
export type AxisCodes = string;

/** For each voxel axis: the world axis (0 x, 1 y, 2 z) it runs along and whether it runs backwards. */
type Orientation = { worldAxis: number; flip: boolean }[];

/**
 * The world axis each voxel axis is closest to, as nibabel's `aff2axcodes`: the largest entry of
 * each affine column, each world axis used once (columns taken in order of their dominance).
 */
function orientationOf(affine: Affine): Orientation {
  const cells: { axis: number; world: number; weight: number }[] = [];
  for (let axis = 0; axis < 3; axis++) {
    const norm = Math.hypot(affine[0][axis], affine[1][axis], affine[2][axis]) || 1;
    for (let world = 0; world < 3; world++) {
      cells.push({ axis, world, weight: Math.abs(affine[world][axis]) / norm });
    }
  }
  cells.sort((a, b) => b.weight - a.weight);
  const result: Orientation = [];
  const usedWorld = new Set<number>();
  for (const { axis, world } of cells) {
    if (result[axis] || usedWorld.has(world)) continue;
    result[axis] = { worldAxis: world, flip: affine[world][axis] < 0 };
    usedWorld.add(world);
  }
  return result;
}

/** The axis codes of an affine, e.g. "RAS" for the identity, "LPS" for DICOM-style. */
export function axisCodes(affine: Affine): AxisCodes {
  return orientationOf(affine)
    .map(({ worldAxis, flip }) => (flip ? NEGATIVE : POSITIVE)[worldAxis])
    .join("");
}

function parseCodes(codes: AxisCodes): Orientation {
  const upper = codes.toUpperCase();
  const parsed = [...upper].map((letter) => {
    const positive = POSITIVE.indexOf(letter as typeof POSITIVE[number]);
    const negative = NEGATIVE.indexOf(letter as typeof NEGATIVE[number]);
    return positive >= 0
      ? { worldAxis: positive, flip: false }
      : { worldAxis: negative, flip: true };
  });
  const axes = new Set(parsed.map((p) => p.worldAxis));
  if (parsed.length !== 3 || axes.has(-1) || axes.size !== 3) {
    throw new RangeError(`axis codes must name each of R/L, A/P, S/I once, not '${codes}'`);
  }
  return parsed;
}

/**
 * Permutes and flips the voxel axes so they run along `target` (default "RAS", nibabel's
 * `as_closest_canonical`); world positions are unchanged, only the array order and the affine
 * change. `reorient(canonical, axisCodes(scan.affine))` brings a mask back to the scan's order.
 *
 * Data: [C][Z][Y][X] i-fastest in, same layout out; shape permuted accordingly.
 */
export function reorient(volume: Volume, target: AxisCodes = "RAS"): Volume {
  const from = orientationOf(volume.affine);
  const to = parseCodes(target);
  // For each output axis: the input axis along the same world axis, and whether to reverse it.
  const plan = to.map(({ worldAxis, flip }) => {
    const input = from.findIndex((o) => o.worldAxis === worldAxis);
    return { input, reverse: from[input].flip !== flip };
  });
  if (plan.every((p, axis) => p.input === axis && !p.reverse)) return volume;

  const inShape = volume.shape;
  const inStride = [1, inShape[0], inShape[0] * inShape[1]];
  const shape = plan.map((p) => inShape[p.input]) as [number, number, number];
  const step = plan.map((p) => (p.reverse ? -1 : 1) * inStride[p.input]);
  const base = plan.reduce(
    (sum, p) => sum + (p.reverse ? (inShape[p.input] - 1) * inStride[p.input] : 0),
    0,
  );
  const voxels = shape[0] * shape[1] * shape[2];
  const data = allocateVoxels(voxelTypeOf(volume.data), volume.data.length);
  let out = 0;
  for (let c = 0; c < volume.channels; c++) {
    for (let k = 0; k < shape[2]; k++) {
      for (let j = 0; j < shape[1]; j++) {
        let at = c * voxels + base + j * step[1] + k * step[2];
        for (let i = 0; i < shape[0]; i++, at += step[0]) data[out++] = volume.data[at];
      }
    }
  }
  return {
    ...volume,
    shape,
    data,
    spacing: plan.map((p) => volume.spacing[p.input]) as [number, number, number],
    affine: permutedAffine(volume.affine, plan, inShape),
  };
}

/** `affine · M`, where M maps an output voxel index to the input voxel index. */
function permutedAffine(
  affine: Affine,
  plan: { input: number; reverse: boolean }[],
  inShape: [number, number, number],
): Affine {
  const row = (r: number): [number, number, number, number] => {
    const out: [number, number, number, number] = [0, 0, 0, affine[r][3]];
    plan.forEach(({ input, reverse }, axis) => {
      out[axis] = reverse ? -affine[r][input] : affine[r][input];
      if (reverse) out[3] += affine[r][input] * (inShape[input] - 1);
    });
    return out;
  };
  return [row(0), row(1), row(2), [0, 0, 0, 1]];
}
