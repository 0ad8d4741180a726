/**
 * The worker process: `deno run -A gpu-worker/worker/main.ts`. Consumes the job streams of the
 * Redis at `REDIS_URL` (several processes on several machines share them through the consumer
 * group) and delivers webhooks. Settings (environment):
 *
 * - `REDIS_URL` (default `redis://127.0.0.1:6379`)
 * - blob store: see `shared/blob/from_env.ts` (`LLMSEG_BLOB_DIR` or `LLMSEG_S3_*`)
 * - `LLMSEG_WORK_DIR` scratch root (default the system temp folder)
 * - `LLMSEG_HEARTBEAT_MS` (10000), `LLMSEG_MAX_DELIVERIES` (3)
 * - `LLMSEG_RECLAIM_IDLE_MS` (300000): how long a job's entry must go without a heartbeat before
 *   another worker takes it over. Heartbeats fire between training iterations and inference
 *   windows, so this must exceed the longest single step on this hardware.
 * - `LLMSEG_WEBHOOK_LEASE_MS` (60000): how long a webhook send taken by this process stays hidden
 *   from other dispatchers; one that died mid-send is retried after it
 * - `LLMSEG_WEBHOOK_ALLOW_LOOPBACK=1` lets webhooks reach loopback over http (tests, local use)
 * - `LLMSEG_THREADS`: kernel threads (see the engine)
 *
 * The engine starts as the CLI's does (`initEngine`: the same backend choice and kernels), so a
 * service job computes exactly what `llmseg train` / `llmseg infer` compute.
 */
import { blobStoreFromEnv } from "../../shared/blob/from_env.ts";
import { UserError } from "../../shared/errors.ts";
import { connectTcp } from "../../shared/queue/tcp.ts";
import { quietTfjs } from "../quiet_tfjs.ts";
import { runDispatcher, WebhookDispatcher } from "../../shared/webhooks/dispatcher.ts";
import { webhookPolicyFromEnv } from "../../shared/webhooks/ssrf.ts";
import { initEngine, shutdownEngine } from "../engine/mod.ts";
import { coreRunners } from "./runners.ts";
import { consumerName, QueueWorker } from "./worker.ts";

function numberFromEnv(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new UserError("bad_option", `${name}=${raw}: expected a positive number`);
  }
  return value;
}

/** Runs one worker and one webhook dispatcher until `signal` aborts. */
export async function runWorkerProcess(signal: AbortSignal): Promise<void> {
  quietTfjs();
  const engine = await initEngine();
  const url = Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379";
  const redis = await connectTcp(url);
  const dispatchRedis = await connectTcp(url);
  const consumer = consumerName();
  const worker = new QueueWorker({
    redis,
    blob: blobStoreFromEnv(),
    consumer,
    runners: coreRunners,
    workRoot: Deno.env.get("LLMSEG_WORK_DIR") ?? Deno.env.get("TMPDIR") ?? "/tmp",
    heartbeatMs: numberFromEnv("LLMSEG_HEARTBEAT_MS", 10_000),
    reclaimIdleMs: numberFromEnv("LLMSEG_RECLAIM_IDLE_MS", 300_000),
    maxDeliveries: numberFromEnv("LLMSEG_MAX_DELIVERIES", 3),
  });
  const dispatcher = new WebhookDispatcher(dispatchRedis, {
    policy: webhookPolicyFromEnv(),
    leaseMs: numberFromEnv("LLMSEG_WEBHOOK_LEASE_MS", 60_000),
  });
  console.error(
    `worker ${consumer}: engine ${engine.backend} (${engine.threads} threads, kernels: ${
      engine.kernels.join(", ") || "none"
    })`,
  );
  console.error(`worker ${consumer}: consuming q:train, q:infer, q:evaluate on ${url}`);
  try {
    await Promise.all([worker.run(signal), runDispatcher(dispatcher, signal)]);
  } finally {
    shutdownEngine();
    await redis.close();
    await dispatchRedis.close();
  }
}

if (import.meta.main) {
  const controller = new AbortController();
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(name, () => controller.abort());
  }
  try {
    await runWorkerProcess(controller.signal);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    console.error(`worker: ${error.message}`);
    Deno.exit(2);
  }
  Deno.exit(0);
}
