import assert from "node:assert/strict";
import { Rng } from "../random.ts";
import { dice, jaccard } from "./overlap.ts";
import type { Shape3 } from "./surface.ts";
import { asd, hd95, surfaceDistances } from "./surface_distance.ts";

type Predicate = (i: number, j: number, k: number) => boolean;

function maskFrom(shape: Shape3, inside: Predicate): Uint8Array {
  const [X, Y, Z] = shape;
  const mask = new Uint8Array(X * Y * Z);
  for (let k = 0; k < Z; k++) {
    for (let j = 0; j < Y; j++) {
      for (let i = 0; i < X; i++) mask[i + X * (j + Y * k)] = inside(i, j, k) ? 1 : 0;
    }
  }
  return mask;
}

/** Half-open box [a, b) per axis. */
function box(lo: Shape3, hi: Shape3): Predicate {
  return (i, j, k) => i >= lo[0] && i < hi[0] && j >= lo[1] && j < hi[1] && k >= lo[2] && k < hi[2];
}

function close(actual: number, expected: number, what: string, tolerance = 1e-9): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: got ${actual}, expected ${expected} (difference ${actual - expected})`,
  );
}

interface Vector {
  name: string;
  shape: Shape3;
  a: Predicate;
  b: Predicate;
  dc: number;
  jc: number;
  hd95: number;
  asdAB: number;
  asdBA: number;
  borders: [number, number];
}

// docs/METHOD.md section 7, the three test vectors (scipy 1.17 / numpy 2.4, medpy's algorithm).
const vectors: Vector[] = [
  {
    name: "1: two boxes",
    shape: [10, 10, 10],
    a: box([2, 2, 2], [6, 6, 6]),
    b: box([3, 2, 2], [8, 6, 7]),
    dc: 0.5853658537,
    jc: 0.4137931034,
    hd95: 2.0,
    asdAB: 0.4285714286,
    asdBA: 0.8853795873,
    borders: [56, 82],
  },
  {
    name: "2: boxes touching the array edge",
    shape: [8, 8, 8],
    a: box([0, 0, 0], [4, 4, 4]),
    b: box([1, 1, 1], [5, 5, 5]),
    dc: 0.4218750000,
    jc: 0.2673267327,
    hd95: 1.4142135624,
    asdAB: 0.8653566584,
    asdBA: 0.8653566584,
    borders: [56, 56],
  },
  {
    name: "3: two balls",
    shape: [20, 20, 20],
    a: (i, j, k) => (k - 9.5) ** 2 + (j - 9.5) ** 2 + (i - 9.5) ** 2 <= 36,
    b: (i, j, k) => (k - 11) ** 2 + (j - 9) ** 2 + (i - 10) ** 2 <= 30,
    dc: 0.7764990915,
    jc: 0.6346534653,
    hd95: 2.0,
    asdAB: 0.9939949238,
    asdBA: 0.8262098037,
    borders: [336, 278],
  },
];

for (const v of vectors) {
  Deno.test(`docs/METHOD.md test vector ${v.name}`, () => {
    const a = maskFrom(v.shape, v.a);
    const b = maskFrom(v.shape, v.b);
    const ab = surfaceDistances(a, b, v.shape);
    const ba = surfaceDistances(b, a, v.shape);
    // The table gives 10 decimals, so it pins the values to 5e-11.
    close(dice(a, b), v.dc, "dc", 5e-11);
    close(jaccard(a, b), v.jc, "jc", 5e-11);
    close(hd95(ab), v.hd95, "hd95", 5e-11);
    close(hd95(ba), v.hd95, "hd95 is symmetric", 5e-11);
    close(asd(ab), v.asdAB, "asd(A,B)", 5e-11);
    close(asd(ba), v.asdBA, "asd(B,A)", 5e-11);
    assert.deepEqual([ab.predToLabel.length, ab.labelToPred.length], v.borders);
  });
}

/** Surface by definition: an object voxel with a 6-neighbour that is background or outside. */
function bruteSurface(mask: Uint8Array, [X, Y, Z]: Shape3): Shape3[] {
  const at = (i: number, j: number, k: number): number =>
    i < 0 || j < 0 || k < 0 || i >= X || j >= Y || k >= Z ? 0 : mask[i + X * (j + Y * k)];
  const out: Shape3[] = [];
  const steps: Shape3[] = [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]];
  for (let i = 0; i < X; i++) {
    for (let j = 0; j < Y; j++) {
      for (let k = 0; k < Z; k++) {
        if (at(i, j, k) && steps.some(([a, b, c]) => !at(i + a, j + b, k + c))) {
          out.push([i, j, k]);
        }
      }
    }
  }
  return out;
}

/** For every voxel of `from`, the distance to the nearest voxel of `to`, by trying all pairs. */
function bruteDistances(from: Shape3[], to: Shape3[], spacing: Shape3): number[] {
  return from.map((p) =>
    Math.min(...to.map((q) => Math.hypot(...p.map((x, axis) => (x - q[axis]) * spacing[axis]))))
  );
}

function textbookPercentile(values: number[], q: number): number {
  const v = [...values].sort((x, y) => x - y);
  const h = (v.length - 1) * q / 100;
  const i = Math.floor(h);
  return i + 1 < v.length ? v[i] + (v[i + 1] - v[i]) * (h - i) : v[i];
}

function randomMask(rng: Rng, shape: Shape3): Uint8Array {
  // Either scattered voxels or a union of a few random boxes, so thin and thick shapes both occur.
  if (rng.uniform() < 0.4) {
    const density = rng.uniformIn(0.05, 0.6);
    return maskFrom(shape, () => rng.uniform() < density);
  }
  const boxes = Array.from({ length: rng.integer(1, 4) }, () => {
    const lo = shape.map((n) => rng.integer(0, n)) as Shape3;
    const hi = lo.map((l, axis) => rng.integer(l + 1, shape[axis] + 1)) as Shape3;
    return box(lo, hi);
  });
  return maskFrom(shape, (i, j, k) => boxes.some((inside) => inside(i, j, k)));
}

Deno.test("surface distances, hd95 and asd agree with a brute force on random masks", () => {
  const rng = new Rng(20261129);
  for (let trial = 0; trial < 150; trial++) {
    const shape = [rng.integer(1, 9), rng.integer(1, 9), rng.integer(1, 9)] as Shape3;
    const spacing: Shape3 = trial % 2 === 0
      ? [1, 1, 1]
      : [rng.uniformIn(0.3, 3), rng.uniformIn(0.3, 3), rng.uniformIn(0.3, 3)];
    const a = randomMask(rng, shape);
    const b = randomMask(rng, shape);
    if (!a.includes(1) || !b.includes(1)) continue;
    const sa = bruteSurface(a, shape);
    const sb = bruteSurface(b, shape);
    const ab = bruteDistances(sa, sb, spacing);
    const ba = bruteDistances(sb, sa, spacing);
    const fast = surfaceDistances(a, b, shape, spacing);
    const what = `trial ${trial}, shape ${shape}`;
    // The brute force lists surface voxels in (i, j, k) C order too, so entries pair up.
    assert.equal(fast.predToLabel.length, ab.length, `${what}: surface of A`);
    assert.equal(fast.labelToPred.length, ba.length, `${what}: surface of B`);
    ab.forEach((d, n) => close(fast.predToLabel[n], d, `${what}: S(A→B)[${n}]`));
    ba.forEach((d, n) => close(fast.labelToPred[n], d, `${what}: S(B→A)[${n}]`));
    close(hd95(fast), textbookPercentile([...ab, ...ba], 95), `${what}: hd95`);
    close(asd(fast), ab.reduce((s, d) => s + d, 0) / ab.length, `${what}: asd`);
  }
});

Deno.test("surfaceDistances refuses an empty mask, naming which", () => {
  const shape: Shape3 = [4, 4, 4];
  const full = maskFrom(shape, box([1, 1, 1], [3, 3, 3]));
  const empty = new Uint8Array(64);
  assert.throws(() => surfaceDistances(empty, full, shape), /prediction mask contains no object/);
  assert.throws(() => surfaceDistances(full, empty, shape), /label mask contains no object/);
});

Deno.test("dice and jaccard of two empty masks are 0 (medpy's dc; the lineage's zeros)", () => {
  const empty = new Uint8Array(27);
  assert.equal(dice(empty, empty), 0);
  assert.equal(jaccard(empty, empty), 0);
});
