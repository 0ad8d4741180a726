import assert from "node:assert/strict";
import { Rng } from "./random.ts";

Deno.test("Rng: same seed gives the same stream, another seed another", () => {
  const a = new Rng(1337), b = new Rng(1337), c = new Rng(1338);
  const sa = Array.from({ length: 8 }, () => a.nextUint32());
  assert.deepEqual(sa, Array.from({ length: 8 }, () => b.nextUint32()));
  assert.notDeepEqual(sa, Array.from({ length: 8 }, () => c.nextUint32()));
});

Deno.test("Rng: a restored state continues the stream exactly", () => {
  const a = new Rng(7);
  for (let i = 0; i < 5; i++) a.uniform();
  const b = Rng.fromState(a.state);
  assert.deepEqual(
    Array.from({ length: 6 }, () => a.integer(0, 100)),
    Array.from({ length: 6 }, () => b.integer(0, 100)),
  );
});

Deno.test("Rng: integer stays in range and covers it; permutation is a permutation", () => {
  const rng = new Rng(3);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const v = rng.integer(2, 7);
    assert.ok(v >= 2 && v < 7);
    seen.add(v);
  }
  assert.equal(seen.size, 5);
  assert.deepEqual(
    rng.permutation(50).sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.throws(() => rng.integer(3, 3), RangeError);
});

Deno.test("Rng: uniform has mean near 1/2", () => {
  const rng = new Rng(11);
  let sum = 0;
  for (let i = 0; i < 20000; i++) sum += rng.uniform();
  assert.ok(Math.abs(sum / 20000 - 0.5) < 0.01);
});
