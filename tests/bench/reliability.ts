/**
 * `deno task bench reliability [--kills 50] [--train 30] [--infer 30] [--iterations 8] [--seed 1]`:
 * the worker-kill scenario of `tests/reliability/worker_kills_test.ts` at full size. A real
 * redis-server, the edge over HTTP and worker processes; the worker is SIGKILLed while a job runs
 * (alternately training and inference) and replaced, `--kills` times. Prints how the jobs ended,
 * how often they ran, models and webhook deliveries per job, and every departure from "each job
 * completed exactly once" (exit 1 when there is one).
 */
import { parseArgs } from "node:util";
import { killProblems, runWorkerKills } from "../reliability/worker_kills.ts";

const { values } = parseArgs({
  args: Deno.args.slice(1),
  options: {
    kills: { type: "string", default: "50" },
    train: { type: "string", default: "30" },
    infer: { type: "string", default: "30" },
    iterations: { type: "string", default: "8" },
    seed: { type: "string", default: "1" },
  },
});

const report = await runWorkerKills({
  kills: Number(values.kills),
  trainJobs: Number(values.train),
  inferJobs: Number(values.infer),
  iterations: Number(values.iterations),
  seed: Number(values.seed),
  timeoutMs: 20 * 60_000,
});
const count = (status: string): number => report.jobs.filter((j) => j.status === status).length;
const attempts = report.jobs.map((j) => j.attempt);
const rerun = attempts.filter((a) => a > 1).length;
const distinctIds = [...report.receivedIds.values()].reduce((n, ids) => n + ids.size, 0);
const records = [...report.deliveryRecords.values()].reduce((n, r) => n + r, 0);
console.log(
  `kills: ${report.killsDuring.train} during training, ${report.killsDuring.infer} during ` +
    `inference (of ${values.kills} asked)`,
);
console.log(
  `jobs: ${report.jobs.length} (1 base model + ${values.train} train + ${values.infer} infer): ` +
    `${count("completed")} completed, ${count("failed")} failed, ${
      count("cancelled")
    } cancelled, ` +
    `${report.jobs.length - count("completed") - count("failed") - count("cancelled")} not final`,
);
console.log(
  `attempts: ${rerun} jobs ran more than once, at most ${Math.max(...attempts)} attempts`,
);
console.log(
  `models per training job: ${[...new Set(report.modelsPerTrainJob)].join(", ")} ` +
    `(${report.modelsPerTrainJob.length} training jobs)`,
);
console.log(
  `webhooks: ${records} delivery records, ${distinctIds} distinct webhook ids received, ` +
    `${report.receivedPosts} POSTs (a send cut short by a kill is sent again with the same id)`,
);
console.log(
  `dead letters: ${report.deadLetters}, pending entries: ${report.pendingEntries}, ` +
    `wall: ${report.seconds.toFixed(0)} s`,
);
const problems = killProblems(report);
console.log(problems.length ? `PROBLEMS:\n${problems.join("\n")}` : "lost: 0, duplicated: 0");
if (problems.length) Deno.exit(1);
