import { deepEqual, equal } from "node:assert/strict";
import { extent, markedPoints, polylinePoints, scalePoints, tickLabel } from "./chart_scale.ts";

Deno.test("extent widens a flat or empty series, never below 0 for a non-negative one", () => {
  deepEqual(extent([2, 5, 3]), [2, 5]);
  deepEqual(extent([4, 4]), [3.6, 4.4]);
  deepEqual(extent([]), [0, 1]);
  // A Dice of 0 at every validation: the axis runs 0..1, not -1..1.
  deepEqual(extent([0, 0, 0]), [0, 1]);
  deepEqual(extent([0.5, 0.5]), [0.45, 0.55]);
  deepEqual(extent([-2, -2]), [-2.2, -1.8]);
});

Deno.test("scalePoints maps the domain corners to the box corners, y flipped", () => {
  const points = [{ x: 0, y: 0 }, { x: 10, y: 1 }, { x: 5, y: 0.5 }];
  const scaled = scalePoints(points, 200, 100, [0, 10], [0, 1]);
  equal(polylinePoints(scaled), "0.0,100.0 200.0,0.0 100.0,50.0");
});

Deno.test("a single point is marked inside the box; a dense series marks its latest point", () => {
  const one = [{ x: 40, y: 0.62 }];
  const [marker] = scalePoints(markedPoints(one), 320, 140, extent([40]), extent([0.62]));
  // The widened extent puts a lone point in the middle of the plot.
  equal(marker.x, 160);
  equal(Math.round(marker.y * 1000) / 1000, 70);
  const dense = Array.from({ length: 100 }, (_, i) => ({ x: i, y: i }));
  deepEqual(markedPoints(dense), [{ x: 99, y: 99 }]);
  equal(markedPoints(dense.slice(0, 3)).length, 3);
});

Deno.test("tickLabel keeps small and large values short enough for the axis margin", () => {
  equal(tickLabel(0.000969), "9.69e-4");
  equal(tickLabel(0.05), "0.0500");
  equal(tickLabel(3.0612), "3.06");
  equal(tickLabel(0), "0.00");
  equal(tickLabel(123456), "1.23e+5");
});
