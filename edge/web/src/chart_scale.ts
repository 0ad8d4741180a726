/** Linear scales for the training chart: data points to SVG coordinates (y grows downwards). */
import type { Point } from "./progress.ts";

/** The [min, max] of `values`, widened to a non-empty range so a flat series still draws. */
export function extent(values: number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

/** The SVG `points` attribute of a polyline through `points` in a `width` × `height` box. */
export function polylinePoints(
  points: Point[],
  width: number,
  height: number,
  xDomain: [number, number],
  yDomain: [number, number],
): string {
  const sx = (x: number): number => ((x - xDomain[0]) / (xDomain[1] - xDomain[0])) * width;
  const sy = (y: number): number =>
    height - ((y - yDomain[0]) / (yDomain[1] - yDomain[0])) * height;
  return points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");
}
