import assert from "node:assert/strict";
import { sharedData } from "../../shared/testing/data.ts";
import { sharedCaseIds } from "./make_splits.ts";
import { loadSplitFile, rotatingFolds, seededSplit, splitFilesFor } from "./splits.ts";

Deno.test("committed hippocampus split: ≥ 30 validation cases, labelled 10 % of the rest, disjoint", async () => {
  const { folds } = await loadSplitFile("hippocampus");
  assert.equal(folds.length, 1);
  const [fold] = folds;
  const training = fold.labelled.length + fold.unlabelled.length;
  assert.ok(fold.validation.length >= 30);
  assert.equal(training + fold.validation.length, 174);
  assert.equal(fold.labelled.length, Math.round(0.1 * training));
  const all = [...fold.labelled, ...fold.unlabelled, ...fold.validation];
  assert.equal(new Set(all).size, all.length);
});

Deno.test("committed LA folds: 4 labelled + 8 unlabelled + 4 validation, each case validated once", async () => {
  const { folds } = await loadSplitFile("la2018");
  assert.equal(folds.length, 4);
  for (const fold of folds) {
    assert.deepEqual(
      [fold.labelled.length, fold.unlabelled.length, fold.validation.length],
      [4, 8, 4],
    );
    const all = [...fold.labelled, ...fold.unlabelled, ...fold.validation];
    assert.equal(new Set(all).size, 16);
  }
  assert.equal(new Set(folds.flatMap((f) => f.validation)).size, 16);
});

Deno.test("seededSplit depends on the seed only; rotatingFolds keeps list order", () => {
  const ids = Array.from({ length: 50 }, (_, n) => `case_${n}`);
  const options = { seed: 3, validation: 10, labelledFraction: 0.1 };
  assert.deepEqual(seededSplit(ids, options), seededSplit(ids, options));
  assert.notDeepEqual(seededSplit(ids, options), seededSplit(ids, { ...options, seed: 4 }));
  assert.equal(seededSplit(ids, options).labelled.length, 4);
  const folds = rotatingFolds(ids.slice(0, 8), { validation: 2, labelled: 2, unlabelled: 3 });
  assert.equal(folds.length, 4);
  assert.deepEqual(folds[1], {
    labelled: ["case_0", "case_1"],
    unlabelled: ["case_4", "case_5", "case_6"],
    validation: ["case_2", "case_3"],
  });
});

Deno.test({
  name: "committed splits are what the recipes give for the shared data's case lists",
  ignore: !sharedData,
  async fn() {
    const ids = await sharedCaseIds(sharedData!);
    const regenerated = splitFilesFor(ids.hippocampus, ids.la);
    assert.deepEqual(await loadSplitFile("hippocampus"), regenerated.hippocampus);
    assert.deepEqual(await loadSplitFile("la2018"), regenerated.la2018);
  },
});
