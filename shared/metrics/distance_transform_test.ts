import assert from "node:assert/strict";
import { Rng } from "../random.ts";
import { squaredDistancesAt, squaredDistanceTransform } from "./distance_transform.ts";
import type { Shape3 } from "./surface.ts";

/** Squared distance to the nearest feature by trying every feature. */
function bruteForce(features: Uint8Array, [X, Y]: Shape3, spacing: Shape3, v: number): number {
  let best = Infinity;
  const at = (n: number): Shape3 => [n % X, Math.floor(n / X) % Y, Math.floor(n / (X * Y))];
  const p = at(v);
  features.forEach((f, n) => {
    if (!f) return;
    const q = at(n);
    best = Math.min(best, p.reduce((s, x, axis) => s + ((x - q[axis]) * spacing[axis]) ** 2, 0));
  });
  return best;
}

Deno.test("the distance transform equals a brute force, full grid and at chosen voxels", () => {
  const rng = new Rng(42);
  for (let trial = 0; trial < 60; trial++) {
    const shape = [rng.integer(1, 8), rng.integer(1, 8), rng.integer(1, 8)] as Shape3;
    const spacing: Shape3 = trial % 3 === 0
      ? [1, 1, 1]
      : [rng.uniformIn(0.2, 4), rng.uniformIn(0.2, 4), rng.uniformIn(0.2, 4)];
    const density = trial % 10 === 0 ? 0 : rng.uniformIn(0.01, 0.3);
    const size = shape[0] * shape[1] * shape[2];
    const features = Uint8Array.from({ length: size }, () => (rng.uniform() < density ? 1 : 0));
    const full = squaredDistanceTransform(features, shape, spacing);
    const chosen = Int32Array.from({ length: 5 }, () => rng.integer(0, size));
    const some = squaredDistancesAt(features, shape, spacing, chosen);
    for (let v = 0; v < size; v++) {
      const expected = bruteForce(features, shape, spacing, v);
      const ok = expected === Infinity
        ? full[v] === Infinity
        : Math.abs(full[v] - expected) <= 1e-9 * Math.max(1, expected);
      assert.ok(ok, `trial ${trial}, shape ${shape}, voxel ${v}: ${full[v]} vs ${expected}`);
    }
    chosen.forEach((v, n) => assert.equal(some[n], full[v], `trial ${trial}: voxel ${v}`));
  }
});
