import assert from "node:assert/strict";
import { summarizeMetrics } from "./summary.ts";

Deno.test("summarizeMetrics gives the mean and the population std (ddof 0) per metric", () => {
  const rows = [
    { dice: 0.8, jaccard: 0.6, hd95: 4, asd: 1 },
    { dice: 0.9, jaccard: 0.8, hd95: 2, asd: 1 },
    { dice: 0.7, jaccard: 0.7, hd95: 9, asd: 1 },
  ];
  const summary = summarizeMetrics(rows);
  assert.equal(summary.cases, 3);
  assert.ok(Math.abs(summary.mean.dice - 0.8) < 1e-15);
  assert.ok(Math.abs(summary.std.dice - Math.sqrt(0.02 / 3)) < 1e-15);
  assert.ok(Math.abs(summary.mean.hd95 - 5) < 1e-15);
  assert.ok(Math.abs(summary.std.hd95 - Math.sqrt(26 / 3)) < 1e-15);
  assert.equal(summary.std.asd, 0);
  assert.throws(() => summarizeMetrics([]), RangeError);
});

Deno.test("summarizeMetrics leaves NaN cases (both masks empty) out of mean and std, and counts them", () => {
  const rows = [
    { dice: 0.8, jaccard: 0.6, hd95: 4, asd: 1 },
    { dice: NaN, jaccard: NaN, hd95: NaN, asd: NaN },
    { dice: 0.6, jaccard: 0.4, hd95: 2, asd: 3 },
  ];
  const summary = summarizeMetrics(rows);
  assert.equal(summary.cases, 3);
  assert.equal(summary.undefinedCases, 1);
  assert.ok(Math.abs(summary.mean.dice - 0.7) < 1e-15);
  assert.ok(Math.abs(summary.std.asd - 1) < 1e-15);
  const none = summarizeMetrics([rows[1]]);
  assert.ok(Number.isNaN(none.mean.dice), "no defined case: NaN, not 0");
});
