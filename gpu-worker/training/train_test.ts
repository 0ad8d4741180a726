import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { UserError } from "@llmseg/shared";
import { readSafetensors, toFloat32, writeSafetensors } from "../checkpoint/safetensors.ts";
import {
  BEST_MODEL_DIR,
  CHECKPOINT_FILE,
  LOG_FILE,
  presets,
  type ProgressEvent,
  resolveConfig,
  train,
  type TrainConfig,
  type TrainResult,
} from "./mod.ts";

await tf.setBackend("cpu");

const overrides = { maxIterations: 2, validateEvery: 2, checkpointEvery: 2 };

async function weights(dir: string): Promise<Map<string, Float32Array>> {
  const file = await readSafetensors(join(dir, "weights.safetensors"));
  return new Map([...file.tensors].map(([name, entry]) => [name, toFloat32(entry)]));
}

Deno.test("train: an aborted run resumed from its checkpoint ends bit-identical to an uninterrupted one", async () => {
  const straight = await Deno.makeTempDir(), interrupted = await Deno.makeTempDir();
  const events: ProgressEvent[] = [];
  // What train.jsonl held when the first iteration was reported: the log is not held back.
  let loggedAtFirstIteration = "";
  const whole = await train({ preset: "smoke", out: straight, overrides }, {
    onProgress: (e) => {
      events.push(e);
      if (e.kind === "iteration" && e.iteration === 1) {
        loggedAtFirstIteration = Deno.readTextFileSync(join(straight, LOG_FILE));
      }
    },
  });
  assert.match(loggedAtFirstIteration, /"kind":"iteration","iteration":1,/);
  assert.equal(whole.iterations, 2);
  assert.equal(whole.aborted, false);
  assert.ok(Number.isFinite(whole.finalLoss));
  assert.ok(whole.validationDice !== undefined && whole.validationDice >= 0);
  const validation = events.find((e) => e.kind === "validation");
  assert.ok(validation?.kind === "validation");
  assert.equal(validation.dice, whole.validationDice);
  assert.ok([validation.jaccard, validation.hd95, validation.asd].every((v) => v >= 0));
  assert.equal(validation.best, true);
  assert.equal(whole.bestValidationDice, whole.validationDice);
  const best = JSON.parse(await Deno.readTextFile(join(straight, BEST_MODEL_DIR, "model.json")));
  assert.equal(best.origin.iteration, 2);
  assert.deepEqual(events.map((e) => e.kind), [
    "iteration",
    "iteration",
    "validation",
    "checkpoint",
  ]);
  const log = (await Deno.readTextFile(join(straight, LOG_FILE))).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assert.equal(log.length, 4);
  assert.equal(log[0].kind, "iteration");

  await assertResumeMatches(straight, whole, interrupted, overrides);
});

/** Trains into `interrupted` with `runOverrides`, aborts after one iteration, resumes, and
 * compares the end with the uninterrupted run `whole` in `straight`; removes both folders. */
async function assertResumeMatches(
  straight: string,
  whole: TrainResult,
  interrupted: string,
  runOverrides: Partial<TrainConfig>,
): Promise<void> {
  const controller = new AbortController();
  const first = await train({ preset: "smoke", out: interrupted, overrides: runOverrides }, {
    onProgress: (e) => e.kind === "iteration" && e.iteration === 1 && controller.abort(),
    signal: controller.signal,
  });
  assert.equal(first.iterations, 1);
  assert.equal(first.aborted, true);
  const resumed = await train({ preset: "smoke", out: interrupted, resume: true });
  assert.equal(resumed.iterations, 2);
  assert.equal(resumed.finalLoss, whole.finalLoss);
  const [a, b] = [await weights(straight), await weights(interrupted)];
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [name, values] of a) assert.deepEqual(b.get(name), values, name);
  await Deno.remove(straight, { recursive: true });
  await Deno.remove(interrupted, { recursive: true });
}

Deno.test("train: target alignment's running averages travel with the checkpoint", async () => {
  const straight = await Deno.makeTempDir(), interrupted = await Deno.makeTempDir();
  const aligned = { ...overrides, targetAlignment: "class-prior", unsupMaxWeight: 1 } as const;
  const whole = await train({ preset: "smoke", out: straight, overrides: aligned });
  const plain = await train({ preset: "smoke", out: interrupted, overrides });
  // The second step's targets are aligned, so the run differs from the plain one (which it would
  // not if the averages were never applied) ...
  assert.notEqual(whole.finalLoss, plain.finalLoss);
  await Deno.remove(interrupted, { recursive: true });
  // ... and a run resumed after the first step applies the same averages.
  await assertResumeMatches(straight, whole, await Deno.makeTempDir(), aligned);
});

Deno.test("train: mean-teacher averages travel with the checkpoint", async () => {
  const straight = await Deno.makeTempDir(), plainDir = await Deno.makeTempDir();
  const ema = { ...overrides, pseudoLabels: "partner-ema", unsupMaxWeight: 1 } as const;
  const whole = await train({ preset: "smoke", out: straight, overrides: ema });
  const plain = await train({
    preset: "smoke",
    out: plainDir,
    overrides: { ...ema, pseudoLabels: "partner" },
  });
  // The teachers' targets are not the partners' own, so the run differs from the plain one ...
  assert.notEqual(whole.finalLoss, plain.finalLoss);
  await Deno.remove(plainDir, { recursive: true });
  const groups = (await readSafetensors(join(straight, CHECKPOINT_FILE))).tensors;
  assert.ok([...groups.keys()].some((name) => name.startsWith("ema-b/")), "teachers are saved");
  // ... and a run resumed after the first step continues with the same teachers.
  await assertResumeMatches(straight, whole, await Deno.makeTempDir(), ema);
});

Deno.test("train: a checkpoint whose alignment averages are not the run's class fractions is refused on resume", async () => {
  const out = await Deno.makeTempDir();
  const aligned = { ...overrides, maxIterations: 1, targetAlignment: "class-prior" } as const;
  await train({ preset: "smoke", out, overrides: aligned });
  const path = join(out, CHECKPOINT_FILE);
  const file = await readSafetensors(path);
  const info = JSON.parse(file.metadata.info);
  assert.equal(info.alignment.prior.length, 2, "the checkpoint holds the averages");
  const three = [0.5, 0.3, 0.2];
  const corruptions: [unknown, RegExp][] = [
    [{ ...info.alignment, prior: [1.5, -0.5] }, /target alignment is invalid.*prior/],
    [{ prior: three, marginals: { a: three, b: [0.5, 0.5] } }, /one fraction per class/],
    [{ prior: three, marginals: { a: three, b: three } }, /has 3 classes, the run 2/],
  ];
  for (const [alignment, message] of corruptions) {
    const metadata = { ...file.metadata, info: JSON.stringify({ ...info, alignment }) };
    await writeSafetensors(path, { ...file, metadata });
    await assert.rejects(
      train({ preset: "smoke", out, resume: true }),
      (e) => e instanceof UserError && message.test(e.message),
    );
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("train: timers run between iterations, not only at checkpoints", async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const ticksAtIteration: number[] = [];
  try {
    await train({
      preset: "smoke",
      out: await Deno.makeTempDir(),
      overrides: { maxIterations: 3, validateEvery: 0, checkpointEvery: 100 },
    }, {
      onProgress: (e) => e.kind === "iteration" && ticksAtIteration.push(ticks),
    });
  } finally {
    clearInterval(timer);
  }
  assert.equal(ticksAtIteration.length, 3);
  assert.ok(ticksAtIteration[2] > ticksAtIteration[0], `ticks ${ticksAtIteration}`);
});

Deno.test("resolveConfig: overriding the iterations alone keeps the preset's ramp-up fraction", () => {
  const preset = presets.hippocampus;
  const fraction = preset.rampupIterations / preset.maxIterations;
  assert.equal(resolveConfig("hippocampus").rampupIterations, preset.rampupIterations);
  assert.equal(
    resolveConfig("hippocampus", { maxIterations: 500 }).rampupIterations,
    Math.round(fraction * 500),
  );
  assert.equal(
    resolveConfig("hippocampus", { maxIterations: 500, rampupIterations: 7 }).rampupIterations,
    7,
  );
  assert.equal(resolveConfig("smoke", { maxIterations: 1 }).rampupIterations, 1);
});

Deno.test("train: bad configurations and a missing checkpoint fail with clear messages", async () => {
  assert.throws(() => resolveConfig("smoke", { patch: [16, 16, 12] }), /divisible by 16/);
  assert.throws(
    () => resolveConfig("smoke", { labeledBatchSize: 3, batchSize: 4 }),
    /at least 2 unlabelled/,
  );
  assert.throws(
    () => resolveConfig("smoke", { betta: 1 } as Partial<TrainConfig>),
    (e) => e instanceof UserError && /betta/.test(e.message),
  );
  assert.throws(
    () => resolveConfig("smoke", { t1: 2 }),
    (e) => e instanceof UserError && /t1/.test(e.message),
  );
  const empty = await Deno.makeTempDir();
  await assert.rejects(train({ preset: "smoke", out: empty, resume: true }), /cannot resume/);
  await assert.rejects(
    train({ preset: "smoke", out: empty, data: empty }),
    (e) => e instanceof UserError && /not a dataset/.test(e.message),
  );
  await Deno.remove(empty, { recursive: true });
});
