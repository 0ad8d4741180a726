/**
 * `deno task experiment seeds <model-dir>...`: one row of the reference protocol over its seeds
 * (issue #12). Reads each run's train.jsonl (written by `llmseg train`) and gives the held-out Dice
 * of its last validation (the run's final model), its best validation and its wall time, then the
 * mean and sample standard deviation of the final Dice over the runs, as the PyTorch reference
 * reports its seeds. A run that has not reached its last iteration is refused by name: a mean over
 * unfinished runs would read as a result.
 */
import { join } from "node:path";
import { UserError } from "@llmseg/shared";
import { LOG_FILE } from "../training/train.ts";
import type { IterationEvent, ValidationEvent } from "../training/events.ts";

export interface SeedRun {
  dir: string;
  iterations: number;
  /** Held-out Dice (and the other lineage metrics) of the last validation. */
  final: Pick<ValidationEvent, "dice" | "jaccard" | "hd95" | "asd" | "cases">;
  best: { dice: number; iteration: number };
  minutes: number;
}

type LoggedEvent = (IterationEvent | ValidationEvent | { kind: "checkpoint" }) & { time: string };

/** The summary of one finished run folder. */
export async function readSeedRun(dir: string): Promise<SeedRun> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(dir, LOG_FILE));
  } catch {
    throw new UserError("bad_option", `${dir}: no ${LOG_FILE} (not an llmseg train --out folder)`);
  }
  const events = text.split("\n").filter((line) => line.trim() !== "").map((line) =>
    JSON.parse(line) as LoggedEvent
  );
  const steps = events.filter((e): e is IterationEvent & { time: string } =>
    e.kind === "iteration"
  );
  const validations = events.filter((e): e is ValidationEvent & { time: string } =>
    e.kind === "validation"
  );
  const last = steps.at(-1);
  const final = validations.at(-1);
  if (
    !last || last.iteration < last.maxIterations || !final || final.iteration !== last.iteration
  ) {
    throw new UserError(
      "bad_option",
      `${dir}: unfinished (iteration ${last?.iteration ?? 0} of ${
        last?.maxIterations ?? "?"
      }, last validation at ${final?.iteration ?? "none"})`,
    );
  }
  const best = validations.reduce((a, b) => (b.dice > a.dice ? b : a));
  const started = Date.parse(events[0].time);
  return {
    dir,
    iterations: last.iteration,
    final: {
      dice: final.dice,
      jaccard: final.jaccard,
      hd95: final.hd95,
      asd: final.asd,
      cases: final.cases,
    },
    best: { dice: best.dice, iteration: best.iteration },
    minutes: (Date.parse(final.time) - started) / 60_000,
  };
}

/** Mean and sample standard deviation (n − 1; 0 for one value). */
export function meanAndSd(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const squares = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return { mean, sd: values.length > 1 ? Math.sqrt(squares / (values.length - 1)) : 0 };
}

const percent = (v: number): string => `${(100 * v).toFixed(2)} %`;

/** The runs as text: one line per run, then the mean ± sd of the final Dice. */
export function formatSeedRuns(runs: SeedRun[]): string {
  const lines = runs.map((r) =>
    `${r.dir}: Dice ${percent(r.final.dice)} (Jaccard ${percent(r.final.jaccard)}, 95HD ${
      r.final.hd95.toFixed(2)
    }, ASD ${r.final.asd.toFixed(2)}; ${r.final.cases} cases) at ${r.iterations}, best ${
      percent(r.best.dice)
    } at ${r.best.iteration}, ${r.minutes.toFixed(0)} min`
  );
  const { mean, sd } = meanAndSd(runs.map((r) => r.final.dice));
  lines.push(`mean ${percent(mean)} ± ${(100 * sd).toFixed(2)} over ${runs.length} run(s)`);
  return lines.join("\n");
}
