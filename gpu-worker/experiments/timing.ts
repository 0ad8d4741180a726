/**
 * Per-iteration cost of an experiment row's exact settings, to choose iteration counts that fit
 * a time budget: a few iterations without validation, wall and CPU time of each (the first, which
 * includes one-off set-up such as kernel compilation, is reported but left out of the means).
 */
import { join } from "node:path";
import process from "node:process";
import { train } from "../training/mod.ts";
import type { ExperimentDefinition } from "./definitions.ts";
import { type RunOptions, setUpRun } from "./runner.ts";

export interface IterationTiming {
  experiment: string;
  iterations: number;
  /** Seconds per iteration after the first: wall clock and process CPU (all threads). */
  wallPerIteration: number;
  cpuPerIteration: number;
  firstIterationWall: number;
  /** The row's full iteration count and its projected training time from the CPU figure. */
  fullIterations: number;
  projectedCpuMinutes: number;
}

/** Times `iterations` (≥ 2) training iterations of `experiment` under `<out>/timing/`. */
export async function timeIterations(
  experiment: ExperimentDefinition,
  options: Pick<RunOptions, "data" | "out" | "fold" | "seed"> & { iterations: number },
): Promise<IterationTiming> {
  const setup = await setUpRun(experiment, {
    ...options,
    iterations: undefined,
    out: join(options.out, "timing"),
  });
  const fullIterations = setup.overrides.maxIterations!;
  const walls: number[] = [], cpus: number[] = [];
  let wall = performance.now(), cpu = process.cpuUsage();
  await train({
    preset: experiment.preset,
    overrides: {
      ...setup.overrides,
      maxIterations: options.iterations,
      validateEvery: 0,
      checkpointEvery: options.iterations,
    },
    data: setup.descriptionPath,
    out: setup.modelDir,
  }, {
    onProgress(event) {
      if (event.kind !== "iteration") return;
      const now = performance.now(), used = process.cpuUsage(cpu);
      walls.push((now - wall) / 1000);
      cpus.push((used.user + used.system) / 1e6);
      wall = now, cpu = process.cpuUsage();
    },
  });
  const mean = (values: number[]): number => values.reduce((s, v) => s + v, 0) / values.length;
  const cpuPerIteration = mean(cpus.slice(1));
  return {
    experiment: experiment.name,
    iterations: options.iterations,
    wallPerIteration: mean(walls.slice(1)),
    cpuPerIteration,
    firstIterationWall: walls[0],
    fullIterations,
    projectedCpuMinutes: (fullIterations * cpuPerIteration) / 60,
  };
}
