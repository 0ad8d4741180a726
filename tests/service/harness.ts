/**
 * Test harness of the service tests: a real redis-server on a free port, a filesystem blob store
 * in a temp folder, the edge served over real HTTP on loopback, and helpers to call it.
 */
import type { z } from "zod";
import { createApp } from "../../edge/app.ts";
import { type EdgeConfig, edgeConfig } from "../../edge/config.ts";
import { QueueWorker, type WorkerOptions } from "../../gpu-worker/worker/worker.ts";
import { fsBlobStore } from "../../shared/blob/fs.ts";
import type { BlobStore } from "../../shared/blob/store.ts";
import type {
  JobRecord,
  JobRequest,
  JobStatus,
  TrainRequest,
} from "../../shared/contracts/jobs.ts";
import { JobEvent } from "../../shared/contracts/events.ts";
import type { PublicScan } from "../../shared/contracts/scans.ts";
import type { ApiKeyCreated, Tenant, TenantLimits } from "../../shared/contracts/tenants.ts";
import { workerGroup } from "../../shared/queue/keys.ts";
import type { RedisClient } from "../../shared/queue/redis.ts";
import { connectTcp } from "../../shared/queue/tcp.ts";
import { startRedisServer, type TestRedisServer } from "../../shared/queue/testing.ts";
import { encodeNifti } from "../../shared/volume/mod.ts";
import { spacingAffine } from "../../shared/volume/affine.ts";

export const adminToken = "test-admin-token-0123456789";

export interface Service {
  redisServer: TestRedisServer;
  redis: RedisClient;
  blob: BlobStore;
  blobRoot: string;
  spoolDir: string;
  base: string;
  close(): Promise<void>;
}

/** Starts redis-server and the edge; `redis` overrides the client the edge uses (e.g. REST). */
export async function startService(
  options: {
    config?: Partial<EdgeConfig>;
    edgeRedis?: (server: TestRedisServer, tcp: RedisClient) => Promise<RedisClient>;
  } = {},
): Promise<Service> {
  const redisServer = await startRedisServer();
  const redis = await connectTcp(redisServer.url);
  const edgeRedis = options.edgeRedis ? await options.edgeRedis(redisServer, redis) : redis;
  const blobRoot = await Deno.makeTempDir({ prefix: "llmseg-blobs-" });
  const spoolDir = await Deno.makeTempDir({ prefix: "llmseg-spool-" });
  const blob = fsBlobStore(blobRoot);
  const app = createApp({
    redis: edgeRedis,
    blob,
    config: edgeConfig({
      adminToken,
      spoolDir,
      ssePollMs: 20,
      webhookPolicy: { allowLoopback: true, allowHttp: true },
      ...options.config,
    }),
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  return {
    redisServer,
    redis,
    blob,
    blobRoot,
    spoolDir,
    base: `http://127.0.0.1:${server.addr.port}`,
    async close() {
      await server.shutdown();
      if (edgeRedis !== redis) await edgeRedis.close();
      await redis.close();
      await redisServer.stop();
      await Deno.remove(blobRoot, { recursive: true });
      await Deno.remove(spoolDir, { recursive: true });
    },
  };
}

/** Creates a tenant and one API key through the admin API. */
export async function createTenant(
  service: Pick<Service, "base">,
  settings: {
    rateLimitPerMinute?: number;
    maxConcurrentJobs?: number;
    limits?: Partial<TenantLimits>;
  } = {},
): Promise<{ tenant: Tenant; key: string }> {
  const res = await fetch(`${service.base}/v1/admin/tenants`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "lab", ...settings }),
  });
  if (res.status !== 201) throw new Error(`create tenant: ${res.status} ${await res.text()}`);
  const tenant = await res.json() as Tenant;
  const keyRes = await fetch(`${service.base}/v1/admin/tenants/${tenant.id}/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}` },
  });
  const created = await keyRes.json() as ApiKeyCreated;
  return { tenant, key: created.key };
}

/** fetch with the tenant's key; JSON bodies are serialised. */
export function api(
  service: Service,
  key: string,
  path: string,
  init: {
    method?: string;
    json?: unknown;
    body?: BodyInit;
    headers?: Record<string, string>;
    signal?: AbortSignal;
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}`, ...init.headers };
  let body = init.body;
  if (init.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.json);
  }
  return fetch(`${service.base}${path}`, {
    method: init.method ?? "GET",
    headers,
    body,
    signal: init.signal,
  });
}

/**
 * A tiny gzipped NIfTI scan (float32, shape `shape`, spacing [1.5, 1, 2]) or a binary label;
 * scans of different `phase` differ (datasets refuse one file uploaded twice).
 */
export function tinyNifti(
  shape: [number, number, number] = [12, 10, 8],
  label = false,
  phase = 0,
): Uint8Array {
  const n = shape[0] * shape[1] * shape[2];
  const spacing: [number, number, number] = [1.5, 1, 2];
  const data = label ? new Uint8Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = label ? (i % 7 === 0 ? 1 : 0) : Math.sin(i + phase) * 100;
  return encodeNifti({ shape, channels: 1, data, spacing, affine: spacingAffine(spacing) });
}

/** Uploads a scan; resolves to the response. */
export function upload(
  service: Service,
  key: string,
  name: string,
  bytes: Uint8Array,
): Promise<Response> {
  return api(service, key, `/v1/scans?name=${encodeURIComponent(name)}`, {
    method: "POST",
    body: bytes as Uint8Array<ArrayBuffer>,
    headers: { "content-type": "application/octet-stream" },
  });
}

/** Uploads a scan that must be accepted (201); resolves to its record, else throws with the answer. */
export async function uploadScan(
  service: Service,
  key: string,
  name: string,
  bytes: Uint8Array,
): Promise<PublicScan> {
  const res = await upload(service, key, name, bytes);
  if (res.status !== 201) throw new Error(`upload ${name}: ${res.status} ${await res.text()}`);
  return await res.json() as PublicScan;
}

/** Body of `POST /v1/jobs` as a client writes it (fields with defaults may be left out). */
export type JobSubmission = z.input<typeof JobRequest>;

/**
 * Submits a job that must be accepted (202); resolves to its record, else throws with the edge's
 * answer. (Tests of refused submissions call {@link api} and read the answer themselves.)
 */
export async function submitJob(
  service: Service,
  key: string,
  request: JobSubmission,
  headers: Record<string, string> = {},
): Promise<JobRecord> {
  const res = await api(service, key, "/v1/jobs", { method: "POST", json: request, headers });
  if (res.status !== 202) {
    throw new Error(`submit ${request.kind}: ${res.status} ${await res.text()}`);
  }
  return await res.json() as JobRecord;
}

/** A smoke-preset training with {@link tinyTraining}'s overrides, `maxIterations` long. */
export function tinyTrain(
  maxIterations: number,
  more: Pick<z.input<typeof TrainRequest>, "datasetId" | "descriptorSetId"> = {},
): JobSubmission {
  return {
    kind: "train",
    preset: "smoke",
    overrides: { ...tinyTraining, maxIterations },
    ...more,
  };
}

/** A job's record as the edge shows it (`GET /v1/jobs/{id}`). */
export async function getJob(service: Service, key: string, jobId: string): Promise<JobRecord> {
  const res = await api(service, key, `/v1/jobs/${jobId}`);
  if (res.status !== 200) throw new Error(`job ${jobId}: ${res.status} ${await res.text()}`);
  return await res.json() as JobRecord;
}

/** Polls the job through the edge until it has `status`; resolves to that record. */
export function waitForJobStatus(
  service: Service,
  key: string,
  jobId: string,
  status: JobStatus,
  timeoutMs?: number,
): Promise<JobRecord> {
  return waitFor(`job ${jobId} to be ${status}`, async () => {
    const job = await getJob(service, key, jobId);
    return job.status === status ? job : undefined;
  }, timeoutMs);
}

/** Every file under `dir`, recursively (to prove a bad upload left nothing behind). */
export async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) found.push(...await filesUnder(`${dir}/${entry.name}`));
    else found.push(`${dir}/${entry.name}`);
  }
  return found;
}

/** A worker process (`gpu-worker/worker/main.ts`) started by a test, with its log kept. */
export interface WorkerProcess {
  child: Deno.ChildProcess;
  log(): string;
  /** SIGKILL, as a crash would: no cleanup, no ack. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

const repoRoot = new URL("../../", import.meta.url).pathname;

/** Spawns a worker process against the service's Redis and blob folder. */
export function spawnWorker(service: Service, env: Record<string, string> = {}): WorkerProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "gpu-worker/worker/main.ts"],
    cwd: repoRoot,
    env: {
      REDIS_URL: service.redisServer.url,
      LLMSEG_BLOB_DIR: service.blobRoot,
      LLMSEG_HEARTBEAT_MS: "300",
      LLMSEG_RECLAIM_IDLE_MS: "1500",
      LLMSEG_WEBHOOK_ALLOW_LOOPBACK: "1",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const end = async (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch { /* already exited */ }
    await child.status;
    await drained;
  };
  return { child, log: () => text, kill: () => end("SIGKILL"), stop: () => end("SIGTERM") };
}

/**
 * Runs `body` against a fresh service and one spawned worker, then stops both; on a failure the
 * worker's log is printed first (a job's final status alone rarely says why it failed).
 */
export async function withServiceAndWorker(
  body: (service: Service, worker: WorkerProcess) => Promise<void>,
  workerEnv: Record<string, string> = {},
): Promise<void> {
  const service = await startService();
  const worker = spawnWorker(service, workerEnv);
  try {
    await body(service, worker);
  } catch (error) {
    console.error(`worker log:\n${worker.log()}`);
    throw error;
  } finally {
    await worker.stop();
    await service.close();
  }
}

/** A {@link QueueWorker} running in the test's own process, with its Redis client and work folder. */
export interface InProcessWorker {
  /** Aborts its loop, waits for it, and frees the client and the folder. */
  stop(): Promise<void>;
}

/**
 * Starts a QueueWorker in this process against the service's Redis and blob store, polling fast
 * (heartbeat and blocking read 50 ms) and silent; for tests that stage Redis by hand around it.
 */
export async function startQueueWorker(
  service: Service,
  options: Pick<WorkerOptions, "consumer" | "runners" | "reclaimIdleMs" | "maxDeliveries">,
): Promise<InProcessWorker> {
  const redis = await connectTcp(service.redisServer.url);
  const workRoot = await Deno.makeTempDir({ prefix: "llmseg-work-" });
  const abort = new AbortController();
  const running = new QueueWorker({
    redis,
    blob: service.blob,
    workRoot,
    heartbeatMs: 50,
    blockMs: 50,
    log: () => {},
    ...options,
  }).run(abort.signal);
  return {
    async stop() {
      abort.abort();
      await running;
      await redis.close();
      await Deno.remove(workRoot, { recursive: true });
    },
  };
}

/** How many entries of a work stream the workers' group holds delivered but unacknowledged. */
export async function pendingEntries(service: Service, stream: string): Promise<number> {
  const summary = await service.redis.send("XPENDING", stream, workerGroup) as unknown[];
  return Number(summary[0]);
}

/** Waits until no entry of the work stream is pending (its job finished and was acked). */
export async function waitForAcked(
  service: Service,
  stream: string,
  what: string,
  timeoutMs?: number,
): Promise<void> {
  await waitFor(
    what,
    async () => await pendingEntries(service, stream) === 0 || undefined,
    timeoutMs,
  );
}

/** One Server-Sent Event as received. */
export interface ReceivedEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Reads a job's SSE stream to its end (the server closes it after a final status). */
export async function readEvents(
  service: Service,
  key: string,
  jobId: string,
  lastEventId?: string,
  onEvent?: (event: ReceivedEvent) => void,
  timeoutMs = 120_000,
): Promise<ReceivedEvent[]> {
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (lastEventId) headers["last-event-id"] = lastEventId;
  const res = await api(service, key, `/v1/jobs/${jobId}/events`, {
    headers,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status !== 200) throw new Error(`events: ${res.status} ${await res.text()}`);
  const events: ReceivedEvent[] = [];
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const chunk of res.body!) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: ReceivedEvent = { data: "" };
      for (const line of block.split("\n")) {
        const [field, ...rest] = line.split(":");
        const value = rest.join(":").replace(/^ /, "");
        if (field === "id") event.id = value;
        else if (field === "event") event.event = value;
        else if (field === "data") event.data += value;
      }
      events.push(event);
      onEvent?.(event);
    }
  }
  return events;
}

/**
 * The status the job's stream ended on (once {@link readEvents} returned: its final status);
 * undefined when the last event is not a status event.
 */
export function finalStatus(events: ReceivedEvent[]): JobStatus | undefined {
  const last = events.at(-1);
  const event = last && JobEvent.parse(JSON.parse(last.data));
  return event?.type === "status" ? event.status : undefined;
}

/** Polls `check` until it returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Training overrides small enough for a test: one network, batch 1, a checkpoint every 2 steps. */
export const tinyTraining = {
  mode: "supervised" as const,
  batchSize: 1,
  labeledBatchSize: 1,
  validateEvery: 0,
  checkpointEvery: 2,
};
