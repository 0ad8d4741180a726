import assert from "node:assert/strict";
import { join } from "node:path";
import { UserError } from "@llmseg/shared";
import { formatSeedRuns, meanAndSd, readSeedRun } from "./seed_summary.ts";

/** A train.jsonl as `llmseg train` writes it: iterations 1..last, validations at `dice`'s keys. */
async function writeRun(dir: string, last: number, max: number, dice: Record<number, number>) {
  await Deno.mkdir(dir, { recursive: true });
  const lines: string[] = [];
  for (let i = 1; i <= last; i++) {
    const time = new Date(Date.UTC(2026, 11, 6, 20, 0, i * 6)).toISOString();
    lines.push(JSON.stringify({ time, kind: "iteration", iteration: i, maxIterations: max }));
    if (dice[i] !== undefined) {
      lines.push(JSON.stringify({
        time,
        kind: "validation",
        iteration: i,
        dice: dice[i],
        jaccard: dice[i] - 0.1,
        hd95: 2,
        asd: 0.5,
        cases: 30,
        best: false,
      }));
    }
  }
  await Deno.writeTextFile(join(dir, "train.jsonl"), lines.join("\n") + "\n");
}

Deno.test("a finished run gives its last and best validation; seeds give mean ± sample sd", async () => {
  const root = await Deno.makeTempDir();
  await writeRun(join(root, "a"), 20, 20, { 10: 0.86, 20: 0.84 });
  await writeRun(join(root, "b"), 20, 20, { 10: 0.80, 20: 0.88 });
  const a = await readSeedRun(join(root, "a"));
  assert.equal(a.final.dice, 0.84);
  assert.deepEqual(a.best, { dice: 0.86, iteration: 10 });
  assert.ok(Math.abs(a.minutes - 1.9) < 1e-9); // first event (iteration 1) to the last validation
  const b = await readSeedRun(join(root, "b"));
  const { mean, sd } = meanAndSd([a.final.dice, b.final.dice]);
  assert.ok(Math.abs(mean - 0.86) < 1e-12);
  assert.ok(Math.abs(sd - Math.sqrt(0.0008)) < 1e-12);
  assert.match(formatSeedRuns([a, b]), /mean 86\.00 % ± 2\.83 over 2 run\(s\)$/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("an unfinished run or a folder without train.jsonl is refused by name", async () => {
  const root = await Deno.makeTempDir();
  await writeRun(join(root, "half"), 10, 20, { 10: 0.8 });
  await assert.rejects(readSeedRun(join(root, "half")), (e: Error) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /half: unfinished \(iteration 10 of 20/);
    return true;
  });
  await assert.rejects(readSeedRun(join(root, "none")), /no train\.jsonl/);
  await Deno.remove(root, { recursive: true });
});
