import assert from "node:assert/strict";
import { UserError } from "../errors.ts";
import type { CaseEntry } from "./cases.ts";
import { SplitSpec } from "./description.ts";
import { splitCases } from "./split.ts";

function entries(count: number, heldOut = 0): CaseEntry[] {
  return Array.from({ length: count + heldOut }, (_, n) => ({
    id: `case${n}`,
    images: [`case${n}.nii.gz`],
    label: `label${n}.nii.gz`,
    heldOut: n >= count,
  }));
}

const ids = (list: CaseEntry[]): string[] => list.map((c) => c.id);

Deno.test("counts take labelled from the front in list order (the lineage's first N)", () => {
  const split = splitCases(entries(10), SplitSpec.parse({ labelled: 4, test: 2 }));
  assert.deepEqual(ids(split.labelled), ["case0", "case1", "case2", "case3"]);
  assert.deepEqual(ids(split.test), ["case8", "case9"]);
  assert.deepEqual(ids(split.unlabelled), ["case4", "case5", "case6", "case7"]);
});

Deno.test("held-out cases are the default test set and never train", () => {
  const split = splitCases(entries(6, 2), SplitSpec.parse({ labelled: 2 }));
  assert.deepEqual(ids(split.test), ["case6", "case7"]);
  assert.equal(split.unlabelled.length, 4);
  const counted = splitCases(entries(6, 2), SplitSpec.parse({ labelled: 2, test: 1 }));
  assert.deepEqual(ids(counted.test), ["case5"]);
  assert.ok(![...counted.labelled, ...counted.unlabelled].some((c) => c.heldOut));
});

Deno.test("a seed shuffles reproducibly, and different seeds differ", () => {
  const spec = (seed: number) => SplitSpec.parse({ labelled: 3, unlabelled: 5, test: 4, seed });
  const a = splitCases(entries(20), spec(1337));
  const b = splitCases(entries(20), spec(1337));
  const c = splitCases(entries(20), spec(7));
  assert.deepEqual(a, b);
  assert.notDeepEqual(ids(a.labelled).concat(ids(a.test)), ids(c.labelled).concat(ids(c.test)));
  const all = [...a.labelled, ...a.unlabelled, ...a.test].map((e) => e.id);
  assert.equal(new Set(all).size, 12, "no case in two parts");
});

Deno.test("explicit lists are honoured and counts fill around them", () => {
  const split = splitCases(
    entries(8),
    SplitSpec.parse({ labelled: ["case5", "case1"], test: ["case0"], unlabelled: 2 }),
  );
  assert.deepEqual(ids(split.labelled), ["case5", "case1"]);
  assert.deepEqual(ids(split.test), ["case0"]);
  assert.deepEqual(ids(split.unlabelled), ["case2", "case3"]);
});

Deno.test("bad splits are user errors that say what is wrong", () => {
  const fails = (spec: unknown, pattern: RegExp, cases = entries(5)) =>
    assert.throws(
      () => splitCases(cases, SplitSpec.parse(spec)),
      (e: unknown) => e instanceof UserError && pattern.test(e.message),
    );
  fails({ labelled: ["nope"] }, /labelled: no case 'nope'/);
  fails({ labelled: ["case1"], test: ["case1"] }, /case 'case1' is in both test and labelled/);
  fails({ labelled: 4, test: 2 }, /labelled: 4 cases asked for but only 3 remain/);
  const unlabelledCase = entries(3);
  delete unlabelledCase[0].label;
  fails({ labelled: 1 }, /case0 have no label file/, unlabelledCase);
});
