/** A small SVG line chart of one training series against iteration (no chart library needed). */
import type { JSX } from "preact";
import { extent, markedPoints, polylinePoints, scalePoints, tickLabel } from "./chart_scale.ts";
import type { Point } from "./progress.ts";

const WIDTH = 320;
const HEIGHT = 140;

/**
 * One series with its name, colour class and latest value; an accessible summary in `<title>`. A
 * line joins the points and markers show a sparse series' points (one point draws as a dot).
 * `domain` fixes the y axis of a bounded measure (Dice: 0..1), so values read against the scale.
 */
export function LineChart(
  props: {
    label: string;
    points: Point[];
    series: string;
    digits?: number;
    domain?: [number, number];
  },
): JSX.Element {
  const { points, label } = props;
  const digits = props.digits ?? 4;
  const xs = extent(points.map((p) => p.x));
  const ys = props.domain ?? extent(points.map((p) => p.y));
  const last = points.at(-1);
  const scale = (series: Point[]): Point[] => scalePoints(series, WIDTH, HEIGHT, xs, ys);
  return (
    <figure class="chart" data-series={props.series}>
      <figcaption>
        {label}: <strong>{last ? last.y.toFixed(digits) : "—"}</strong>
        <span class="muted">{points.length} points</span>
      </figcaption>
      <svg viewBox={`-52 -8 ${WIDTH + 60} ${HEIGHT + 28}`} role="img">
        <title>
          {last
            ? `${label} over ${points.length} points, last ${
              last.y.toFixed(digits)
            } at iteration ${last.x}`
            : `${label}: no data yet`}
        </title>
        <rect class="plot" x={0} y={0} width={WIDTH} height={HEIGHT} />
        <text class="tick" x={-4} y={8} text-anchor="end">{tickLabel(ys[1])}</text>
        <text class="tick" x={-4} y={HEIGHT} text-anchor="end">{tickLabel(ys[0])}</text>
        <text class="tick" x={0} y={HEIGHT + 16}>{xs[0]}</text>
        <text class="tick" x={WIDTH} y={HEIGHT + 16} text-anchor="end">{xs[1]}</text>
        {points.length > 1 && (
          <polyline class={`line ${props.series}`} points={polylinePoints(scale(points))} />
        )}
        {scale(markedPoints(points)).map((p, i) => (
          <circle
            key={i}
            class={`marker ${props.series}`}
            cx={p.x.toFixed(1)}
            cy={p.y.toFixed(1)}
            r={3}
          />
        ))}
      </svg>
    </figure>
  );
}
