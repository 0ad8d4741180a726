import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { evaluateMasks, readVolume, UserError } from "@llmseg/shared";
import { main } from "./main.ts";
import { selectExperiments } from "./definitions.ts";
import { decodePng } from "./testing.ts";
import { comparisons } from "./report.ts";
import { readResults, type ResultRow } from "./results.ts";
import { runExperiment } from "./runner.ts";
import { timeIterations } from "./timing.ts";

await tf.setBackend("cpu");

Deno.test("smoke experiment: model folders, per-case metrics, summary rows, curves and overlay PNGs", async () => {
  const out = await Deno.makeTempDir(), docs = await Deno.makeTempDir();
  const rows: ResultRow[] = [];
  for (const experiment of selectExperiments("smoke")!) {
    rows.push(
      await runExperiment(experiment, { out, docs, backend: "cpu", command: "test" }),
    );
  }
  assert.deepEqual(rows.map((r) => r.experiment), ["smoke-supervised", "smoke-llmsegnet"]);
  for (const row of rows) {
    assert.equal(row.iterations, 2);
    assert.equal(row.perCase.length, 2);
    for (
      const name of ["model.json", "weights.safetensors", "checkpoint.safetensors", "train.jsonl"]
    ) {
      await Deno.stat(join(row.modelDir, name));
    }
    // The kept predictions re-score to the recorded per-case metrics.
    for (const scored of row.perCase) {
      const runDir = join(row.modelDir, "..");
      const result = evaluateMasks(
        await readVolume(join(runDir, "predictions", `${scored.case}.nii.gz`)),
        await readVolume(join(runDir, "labels", `${scored.case}.nii.gz`)),
        { spacing: "header" },
      );
      assert.deepEqual(result, {
        dice: scored.dice,
        jaccard: scored.jaccard,
        hd95: scored.hd95,
        asd: scored.asd,
      });
    }
    const diceMean = row.perCase.reduce((s, c) => s + c.dice, 0) / row.perCase.length;
    assert.ok(Math.abs(row.mean.dice - diceMean) < 1e-12);
    assert.equal(row.lossCurve.length, 2);
    assert.ok(row.secondsPerIteration > 0 && row.secondsPerIteration < row.trainSeconds);
    assert.deepEqual(row.validationCurve.map(([it]) => it), [2]);
  }
  assert.equal(rows[0].setup.unlabelled, 0);
  assert.equal(rows[1].setup.unlabelled, 4);
  assert.match(rows[1].setup.knowledge!, /hippocampus/);

  const stored = await readResults(join(docs, "results.json"));
  assert.deepEqual(stored.map((r) => r.key), rows.map((r) => r.key));
  const note = await Deno.readTextFile(join(docs, "results.md"));
  assert.match(note, /\| Supervised-only V-Net \| 0 \| 1337 \| 2 \+ 0 \|/);
  assert.match(note, /\| LLM-SegNet \| 0 \| 1337 \| 2 \+ 4 \|/);
  assert.match(note, /img\/smoke-curves\.png/);
  assert.match(note, /img\/smoke-overlay\.png/);
  const curves = decodePng(await Deno.readFile(join(docs, "img", "smoke-curves.png")));
  const overlay = decodePng(await Deno.readFile(join(docs, "img", "smoke-overlay.png")));
  const count = (rgb: Uint8Array, [r, g, b]: number[]): number => {
    let n = 0;
    for (let p = 0; p < rgb.length; p += 3) {
      n += rgb[p] === r && rgb[p + 1] === g && rgb[p + 2] === b ? 1 : 0;
    }
    return n;
  };
  assert.ok(count(curves.rgb, [213, 94, 0]) > 100, "the second series is drawn");
  assert.ok(count(overlay.rgb, [0, 200, 0]) > 50, "the label contour is drawn");
  await Deno.remove(out, { recursive: true });
  await Deno.remove(docs, { recursive: true });
});

Deno.test("comparisons: states who won by how much, and flags an ablation that beats the full method", () => {
  const row = (experiment: string, dice: number, label = experiment): ResultRow => ({
    key: experiment,
    experiment,
    task: "t",
    label,
    fold: 0,
    seed: 1,
    setup: {
      mode: "cotrain",
      unsupLoss: "usl",
      unsupMaxWeight: 1,
      beta: 0.1,
      width: 2,
      patch: [16, 16, 16],
      labelled: 2,
      unlabelled: 4,
      validation: 2,
      knowledge: null,
      backend: "cpu",
    },
    iterations: 1,
    trainSeconds: 1,
    secondsPerIteration: 1,
    inferSeconds: 1,
    mean: { dice, jaccard: 0, hd95: 3, asd: 1 },
    std: { dice: 0, jaccard: 0, hd95: 0, asd: 0 },
    perCase: [],
    lossCurve: [],
    validationCurve: [],
    command: "",
    modelDir: "",
    finishedAt: "",
  });
  const lines = comparisons([
    row("t-supervised", 0.7),
    row("t-llmsegnet", 0.75),
    row("t-mse", 0.8, "Ablation: L_u = MSE"),
  ]);
  assert.match(
    lines[0],
    /LLM-SegNet beat supervised-only: Dice 75\.00 vs 70\.00 \(\+5\.00 points\)/,
  );
  assert.match(
    lines[1],
    /L_u = MSE: Dice 80\.00 \(\+5\.00 points against LLM-SegNet, \+10\.00 against supervised-only; better than the full method, contrary to the paper\)/,
  );
  assert.match(
    comparisons([row("t-supervised", 0.8), row("t-llmsegnet", 0.75)])[0],
    /did not beat supervised-only.*\(-5\.00 points\)/,
  );
});

Deno.test("timeIterations: per-iteration wall and CPU of a row's settings, projected to the full row", async () => {
  const out = await Deno.makeTempDir();
  const [experiment] = selectExperiments("smoke-supervised")!;
  const timing = await timeIterations(experiment, { out, iterations: 3 });
  assert.equal(timing.fullIterations, 2);
  assert.ok(timing.wallPerIteration > 0 && timing.cpuPerIteration > 0);
  assert.ok(Math.abs(timing.projectedCpuMinutes - (2 * timing.cpuPerIteration) / 60) < 1e-12);
  const log = await Deno.readTextFile(
    join(out, "timing", "smoke-supervised-fold0-seed1337", "model", "train.jsonl"),
  );
  assert.equal(log.trim().split("\n").filter((l) => JSON.parse(l).kind === "iteration").length, 3);
  await Deno.remove(out, { recursive: true });
});

Deno.test("experiment command: lists rows, refuses an unknown name and a bad number by name", async () => {
  assert.equal(await main(["list"]), 0);
  await assert.rejects(
    main(["no-such-row"]),
    (e) => e instanceof UserError && /unknown experiment 'no-such-row'/.test(e.message),
  );
  await assert.rejects(
    main(["smoke", "--time", "x"]),
    (e) => e instanceof UserError && /--time must be an integer/.test(e.message),
  );
  await assert.rejects(
    main(["hippocampus-llmsegnet", "--data", "/nonexistent", "--time", "2"]),
    (e) => e instanceof UserError && /no 'hippocampus' folder/.test(e.message),
  );
});
