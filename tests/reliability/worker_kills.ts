/**
 * The worker-kill scenario shared by `worker_kills_test.ts` (a few kills, in CI) and
 * `deno task bench reliability` (50 kills): a real redis-server, the edge over HTTP, real worker
 * processes. A batch of tiny training and inference jobs is submitted, the worker is SIGKILLed
 * while a job runs (alternately a training and an inference job) and a fresh one started after each
 * kill; then every job's fate is read back through the API and Redis.
 */
import type { JobKind, JobRecord } from "../../shared/contracts/jobs.ts";
import type { PublicModel } from "../../shared/contracts/models.ts";
import type { WebhookDelivery } from "../../shared/contracts/webhooks.ts";
import { JobStore } from "../../shared/queue/jobs.ts";
import {
  api,
  createTenant,
  type JobSubmission,
  pendingEntries,
  spawnWorker,
  startService,
  submitJob,
  tinyNifti,
  tinyTrain,
  uploadScan,
  waitFor,
  type WorkerProcess,
} from "../service/harness.ts";

/** How big a run is. */
export interface KillScenario {
  kills: number;
  trainJobs: number;
  inferJobs: number;
  /** Training iterations per job (a checkpoint every 2). */
  iterations: number;
  /** Seed of the kill delays, so a failing run can be repeated. */
  seed: number;
  /** Give up waiting for the jobs after this long. */
  timeoutMs: number;
}

/** What happened, per job and overall. */
export interface KillReport {
  /** Kills that landed while a job of that kind was running. */
  killsDuring: Record<JobKind, number>;
  jobs: JobRecord[];
  /** Train jobs whose model versions (by lineage) are not exactly one. */
  modelsPerTrainJob: number[];
  /** Delivery records per job and event type (exactly one each is expected). */
  deliveryRecords: Map<string, number>;
  /** Distinct `webhook-id`s the receiver got per job and event type, and all POSTs it got. */
  receivedIds: Map<string, Set<string>>;
  receivedPosts: number;
  deadLetters: number;
  pendingEntries: number;
  seconds: number;
  /** Every worker's log, in order, for a failure message. */
  logs: string[];
}

/** A small deterministic generator (mulberry32) for the kill delays. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Worker settings for the run: quick reclaim, and a short webhook lease so a killed send retries soon. */
const workerEnv = {
  LLMSEG_HEARTBEAT_MS: "200",
  LLMSEG_RECLAIM_IDLE_MS: "1000",
  LLMSEG_WEBHOOK_LEASE_MS: "2000",
  // Each kill costs the job it hit one delivery; the limit is raised so that a job hit several
  // times is still retried (the limit itself is covered by tests/service/worker_test.ts).
  LLMSEG_MAX_DELIVERIES: "100",
};

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.url}: ${res.status} ${await res.text()}`);
  return await res.json() as T;
}

/** Runs the scenario; the caller judges the report. */
export async function runWorkerKills(scenario: KillScenario): Promise<KillReport> {
  const started = performance.now();
  const service = await startService();
  const received: { id: string; type: string; jobId: string }[] = [];
  const receiver = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const body = await req.json();
      received.push({
        id: req.headers.get("webhook-id")!,
        type: body.type,
        jobId: body.data.jobId,
      });
      return new Response(null, { status: 204 });
    },
  );
  const workers: WorkerProcess[] = [];
  const startWorker = (): WorkerProcess => {
    const worker = spawnWorker(service, workerEnv);
    workers.push(worker);
    return worker;
  };
  try {
    const { tenant, key } = await createTenant(service, {
      maxConcurrentJobs: 1000,
      rateLimitPerMinute: 100_000,
    });
    const endpoint = await json<{ id: string }>(
      await api(service, key, "/v1/webhooks", {
        method: "POST",
        json: { url: `http://127.0.0.1:${receiver.addr.port}/hook` },
      }),
    );
    // Large enough for inference to take a while (many sliding windows of the smoke preset's 16³
    // patch), so a kill can land in the middle of it.
    const scan = await uploadScan(service, key, "a.nii.gz", tinyNifti([48, 48, 40]));
    const submit = (request: JobSubmission): Promise<JobRecord> => submitJob(service, key, request);
    const training = tinyTrain(scenario.iterations);

    let worker = startWorker();
    // The model the inference jobs use, trained before the kills start.
    const base = await submit(tinyTrain(2));
    const store = new JobStore(service.redis);
    const baseDone = await waitFor("the base model", async () => {
      const job = await store.get(tenant.id, base.id);
      return job?.status === "completed" ? job : undefined;
    }, scenario.timeoutMs);

    const ids = [base.id];
    for (let i = 0; i < Math.max(scenario.trainJobs, scenario.inferJobs); i++) {
      if (i < scenario.trainJobs) ids.push((await submit(training)).id);
      if (i < scenario.inferJobs) {
        ids.push((await submit({ kind: "infer", scanId: scan.id, modelId: baseDone.modelId! })).id);
      }
    }
    const jobs = (): Promise<JobRecord[]> =>
      Promise.all(ids.map(async (id) => (await store.get(tenant.id, id))!));

    const next = random(scenario.seed);
    const killsDuring: Record<JobKind, number> = { train: 0, infer: 0, evaluate: 0 };
    const deadline = Date.now() + scenario.timeoutMs;
    for (let kill = 0; kill < scenario.kills && Date.now() < deadline; kill++) {
      const wanted: JobKind = kill % 2 === 0 ? "train" : "infer";
      // Wait for a running job, of the wanted kind while any of that kind is left.
      const victim = await waitFor("a running job", async () => {
        const all = await jobs();
        const open = all.filter((j) => j.status === "queued" || j.status === "running");
        if (open.length === 0) return null;
        const kind = open.some((j) => j.kind === wanted) ? wanted : open[0].kind;
        return all.find((j) => j.status === "running" && j.kind === kind);
      }, scenario.timeoutMs);
      if (victim === null) break; // every job finished before the kills ran out
      // A random moment of the attempt: mid-step, mid-upload, or while finishing.
      await new Promise((r) => setTimeout(r, next() * (victim.kind === "train" ? 1500 : 300)));
      const current = await store.get(tenant.id, victim.id);
      await worker.kill();
      if (current?.status === "running") killsDuring[victim.kind]++;
      worker = startWorker();
    }

    const finals = await waitFor("every job final", async () => {
      const all = await jobs();
      return all.every((j) => j.status !== "queued" && j.status !== "running") ? all : undefined;
    }, Math.max(deadline - Date.now(), 30_000));

    // A job can be final while its entry is still pending: its worker died after marking it
    // final but before announcing it and acking. The next reclaim announces it and acks; wait for
    // that (bounded), so the deliveries below are the settled ones.
    const pendingOnBothStreams = async (): Promise<number> => {
      const pending = await Promise.all(
        ["q:train", "q:infer"].map((stream) => pendingEntries(service, stream)),
      );
      return pending.reduce((sum, n) => sum + n, 0);
    };
    await waitFor(
      "every entry acked",
      async () => await pendingOnBothStreams() === 0 || undefined,
      30_000,
    )
      .catch(() => {});
    const deliveries = await json<{ deliveries: WebhookDelivery[] }>(
      await api(service, key, `/v1/webhooks/${endpoint.id}/deliveries`),
    );
    const perEvent = (jobId: unknown, type: string): string => `${jobId} ${type}`;
    const deliveryRecords = new Map<string, number>();
    for (const d of deliveries.deliveries) {
      const at = perEvent(d.payload.data.jobId, d.payload.type);
      deliveryRecords.set(at, (deliveryRecords.get(at) ?? 0) + 1);
    }
    // Every recorded delivery reaches the receiver (retries after a killed send included).
    await waitFor("every webhook delivered", () => {
      const got = new Set(received.map((r) => r.id));
      return Promise.resolve(deliveries.deliveries.every((d) => got.has(d.id)) || undefined);
    }, 60_000);
    const receivedIds = new Map<string, Set<string>>();
    for (const r of received) {
      const at = perEvent(r.jobId, r.type);
      receivedIds.set(at, (receivedIds.get(at) ?? new Set()).add(r.id));
    }

    const { models } = await json<{ models: PublicModel[] }>(await api(service, key, "/v1/models"));
    const modelsPerTrainJob = finals.filter((j) => j.kind === "train").map((j) =>
      models.filter((m) => m.lineage.jobId === j.id).length
    );
    return {
      killsDuring,
      jobs: finals,
      modelsPerTrainJob,
      deliveryRecords,
      receivedIds,
      receivedPosts: received.length,
      deadLetters: Number(await service.redis.send("XLEN", "q:dead")),
      pendingEntries: await pendingOnBothStreams(),
      seconds: (performance.now() - started) / 1000,
      logs: workers.map((w) => w.log()),
    };
  } finally {
    for (const w of workers) await w.kill();
    await receiver.shutdown();
    await service.close();
  }
}

/** Every way the report departs from "each job completed exactly once"; empty when none. */
export function killProblems(report: KillReport): string[] {
  const problems: string[] = [];
  for (const job of report.jobs) {
    if (job.status !== "completed") {
      problems.push(`${job.kind} ${job.id}: ${job.status} ${job.error ?? ""}`);
    }
    const expected = ["job.queued", "job.started", "job.completed"];
    if (job.kind === "train") expected.push("model.version.created");
    for (const type of expected) {
      const at = `${job.id} ${type}`;
      const records = report.deliveryRecords.get(at) ?? 0;
      const ids = report.receivedIds.get(at)?.size ?? 0;
      if (records !== 1 || ids !== 1) {
        problems.push(`${at}: ${records} delivery records, ${ids} distinct webhook ids received`);
      }
    }
    if (job.kind === "infer" && !job.results.includes("mask")) {
      problems.push(`${job.id}: no mask among results ${job.results}`);
    }
  }
  for (const [at, records] of report.deliveryRecords) {
    if (/job\.(failed|cancelled)$/.test(at)) problems.push(`${at}: ${records} delivery records`);
  }
  report.modelsPerTrainJob.forEach((n, i) => {
    if (n !== 1) problems.push(`train job ${i}: ${n} model versions`);
  });
  if (report.deadLetters) problems.push(`${report.deadLetters} dead letters`);
  if (report.pendingEntries) problems.push(`${report.pendingEntries} entries still pending`);
  return problems;
}
