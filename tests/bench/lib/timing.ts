/** Timing helpers shared by the benchmarks: wall and CPU seconds per run, peak RSS. */
import process from "node:process";

/** The process's peak resident set so far (VmHWM), MB. */
export function peakRssMb(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Runs of one workload: wall seconds, the median run, its CPU seconds and the peak RSS after. */
export interface Timing {
  median: number;
  runs: number[];
  rss?: number;
  /** CPU seconds (all threads) of the median run: on a busy machine, wall time overstates cost. */
  cpu?: number;
}

/** Times `runs` calls of `run` (after one untimed call when `warm`); the median is the middle run. */
export async function timeRuns(
  run: () => unknown,
  runs: number,
  warm: boolean,
): Promise<Timing> {
  if (warm) await run();
  const times: number[] = [], cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpu = process.cpuUsage();
    const t = performance.now();
    await run();
    times.push((performance.now() - t) / 1000);
    const used = process.cpuUsage(cpu);
    cpus.push((used.user + used.system) / 1e6);
  }
  const middle = times.indexOf([...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]);
  return { median: times[middle], runs: times, rss: peakRssMb(), cpu: cpus[middle] };
}
