/**
 * `deno task experiment <name> --data <shared-data> [--out <dir>] [--docs <dir>] [--fold k]
 * [--seed n] [--iterations n]`: runs one experiment row or every row of a task (issue #8).
 * `deno task experiment list` lists them; `deno task experiment report` only regenerates the note;
 * `deno task experiment seeds <model-dir>...` summarises one row's seeds (seed_summary.ts).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { UserError } from "@llmseg/shared";
import { initEngine } from "../engine/mod.ts";
import { quietTfjs } from "../quiet_tfjs.ts";
import { terminalReporter } from "../training/mod.ts";
import { EXPERIMENTS, selectExperiments } from "./definitions.ts";
import { writeReport } from "./report.ts";
import { readResults } from "./results.ts";
import { runExperiment } from "./runner.ts";
import { formatSeedRuns, readSeedRun } from "./seed_summary.ts";
import { timeIterations } from "./timing.ts";

const usage = `usage: deno task experiment <name> [--data <dir>] [--out <dir>] [--docs <dir>]
                                [--fold k] [--seed n] [--iterations n] [--time n]
       deno task experiment list | report [--docs <dir>]
       deno task experiment seeds <model-dir>...   (final and best held-out Dice of finished
                                                    llmseg train runs, mean ± sd over them)

  <name>           an experiment (see list) or a task (smoke, hippocampus, la: all its rows)
  --data <dir>     the shared data folder holding hippocampus/ and la2018/ (not for smoke)
  --out <dir>      runs, model folders and prepared data (default runs/experiments)
  --docs <dir>     results.json, results.md and img/ (default docs; smoke rows: <out>/docs,
                   so a smoke run never mixes into the real results)
  --fold k         fold of the committed split (default 0; LA has folds 0-3)
  --seed n         training seed (default: the preset's, 1337)
  --iterations n   override the task's iteration count (short runs; recorded in the row)
  --time n         only time n training iterations of each row (wall and CPU s/it, projected
                   CPU minutes for the full row); writes no results`;

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UserError("bad_option", `${flag} must be an integer`);
  return n;
}

/** Runs the command line `args`; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  quietTfjs();
  const { values, positionals } = (() => {
    try {
      return parseArgs({
        args,
        allowPositionals: true,
        options: {
          data: { type: "string" },
          out: { type: "string", default: "runs/experiments" },
          docs: { type: "string" },
          fold: { type: "string" },
          seed: { type: "string" },
          iterations: { type: "string" },
          time: { type: "string" },
          help: { type: "boolean", default: false },
        },
      });
    } catch (error) {
      throw new UserError("bad_option", `${(error as Error).message}\n\n${usage}`);
    }
  })();
  const name = positionals[0];
  if (values.help || name === undefined) {
    console.log(usage);
    return name === undefined && !values.help ? 2 : 0;
  }
  if (name === "list") {
    for (const e of EXPERIMENTS) console.log(`${e.name.padEnd(24)} ${e.label}`);
    return 0;
  }
  if (name === "seeds") {
    const dirs = positionals.slice(1);
    if (dirs.length === 0) {
      throw new UserError("bad_option", `seeds needs model folders\n\n${usage}`);
    }
    console.log(formatSeedRuns(await Promise.all(dirs.map(readSeedRun))));
    return 0;
  }
  if (name === "report") {
    const docs = values.docs ?? "docs";
    await writeReport(docs, await readResults(join(docs, "results.json")));
    return 0;
  }
  const experiments = selectExperiments(name);
  if (!experiments) {
    throw new UserError(
      "bad_option",
      `unknown experiment '${name}' (see: deno task experiment list)`,
    );
  }
  // The kernel threads the engine starts end with the process (Deno.exit below).
  const engine = await initEngine();
  const timed = integer(values.time, "--time");
  if (timed !== undefined && timed < 2) throw new UserError("bad_option", "--time needs n ≥ 2");
  for (const experiment of experiments) {
    if (timed !== undefined) {
      const timing = await timeIterations(experiment, {
        data: values.data,
        out: values.out,
        fold: integer(values.fold, "--fold"),
        seed: integer(values.seed, "--seed"),
        iterations: timed,
      });
      console.log(JSON.stringify({ ...timing, backend: engine.backend }));
      continue;
    }
    const command = ["deno task experiment", experiment.name, ...args.slice(1)].join(" ");
    console.error(`${experiment.name}: backend ${engine.backend}`);
    const row = await runExperiment(experiment, {
      data: values.data,
      out: values.out,
      docs: values.docs ?? (experiment.task === "smoke" ? join(values.out, "docs") : "docs"),
      fold: integer(values.fold, "--fold"),
      seed: integer(values.seed, "--seed"),
      iterations: integer(values.iterations, "--iterations"),
      backend: engine.backend,
      command,
      onProgress: terminalReporter(
        (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)),
        Deno.stderr.isTerminal(),
        50,
      ),
    });
    console.log(JSON.stringify({
      key: row.key,
      dice: row.mean.dice,
      hd95: row.mean.hd95,
      iterations: row.iterations,
      trainSeconds: Number(row.trainSeconds.toFixed(1)),
      modelDir: row.modelDir,
    }));
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    if (error instanceof UserError) {
      console.error(`error: ${error.message}`);
      Deno.exit(2);
    }
    throw error;
  }
}
