/** Linear scales for the training chart: data points to SVG coordinates (y grows downwards). */
import type { Point } from "./progress.ts";

/**
 * The [min, max] of `values`, widened to a non-empty range so a flat series still draws. A series
 * that never goes below 0 (loss, learning rate) keeps an axis that does not either: all-zero
 * values draw on [0, 1], not [-1, 1].
 */
export function extent(values: number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo = lo >= 0 ? Math.max(0, lo - pad) : lo - pad;
    hi += pad;
  }
  return [lo, hi];
}

/** `points` in a `width` × `height` box: the domain corners map to the box corners, y flipped. */
export function scalePoints(
  points: Point[],
  width: number,
  height: number,
  xDomain: [number, number],
  yDomain: [number, number],
): Point[] {
  const sx = (x: number): number => ((x - xDomain[0]) / (xDomain[1] - xDomain[0])) * width;
  const sy = (y: number): number =>
    height - ((y - yDomain[0]) / (yDomain[1] - yDomain[0])) * height;
  return points.map((p) => ({ x: sx(p.x), y: sy(p.y) }));
}

/** The SVG `points` attribute of a polyline through already scaled `points`. */
export function polylinePoints(scaled: Point[]): string {
  return scaled.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
}

/**
 * The points that get a marker: all of a sparse series (a polyline through one point draws
 * nothing, and a few validation passes read better as dots), else only the latest.
 */
export function markedPoints(points: Point[], sparseLimit = 24): Point[] {
  return points.length <= sparseLimit ? points : points.slice(-1);
}

/** An axis label of at most about 8 characters: small magnitudes (a decayed learning rate) as 9.69e-4. */
export function tickLabel(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 0.01 || magnitude >= 1e5)) return value.toExponential(2);
  return value.toPrecision(3);
}
