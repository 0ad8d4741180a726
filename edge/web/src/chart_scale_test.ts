import { deepEqual, equal } from "node:assert/strict";
import { extent, polylinePoints } from "./chart_scale.ts";

Deno.test("extent widens a flat or empty series", () => {
  deepEqual(extent([2, 5, 3]), [2, 5]);
  deepEqual(extent([4, 4]), [3.6, 4.4]);
  deepEqual(extent([]), [0, 1]);
});

Deno.test("polylinePoints maps the domain corners to the box corners, y flipped", () => {
  const points = [{ x: 0, y: 0 }, { x: 10, y: 1 }, { x: 5, y: 0.5 }];
  equal(polylinePoints(points, 200, 100, [0, 10], [0, 1]), "0.0,100.0 200.0,0.0 100.0,50.0");
});
