/**
 * `deno task start`: the edge and its workers on one machine, against `REDIS_URL`
 * (default `redis://127.0.0.1:6379`). More machines add workers with
 * `deno run -A gpu-worker/worker/main.ts` against the same Redis and blob store.
 *
 * Environment:
 * - `LLMSEG_ADMIN_TOKEN` (required, 16+ characters): the operator token of `/v1/admin`
 * - `HOST` (127.0.0.1), `PORT` (8787): where the edge listens
 * - `LLMSEG_WORKERS` (1): worker processes to start here; 0 for an edge-only machine
 * - `LLMSEG_REDIS_REST_URL` + `LLMSEG_REDIS_REST_TOKEN`: the edge talks Upstash REST instead of TCP
 * - `LLMSEG_MAX_UPLOAD_BYTES` (512 MiB), blob store as in `shared/blob/from_env.ts`, worker
 *   settings as in `gpu-worker/worker/main.ts`
 * - `LLMSEG_WEBHOOK_ALLOW_LOOPBACK=1`: webhooks may target loopback over http (edge and workers)
 * - `LLMSEG_REDIS_PERSISTENCE=keep`: leave the server's persistence alone (default: if it has no
 *   append-only file, turn AOF on, so API keys and queued jobs survive a Redis restart)
 *
 * A worker that exits is started again (after 1 s, doubling to 30 s while it keeps failing); the
 * edge goes on serving meanwhile.
 */
import { createApp } from "../edge/app.ts";
import { edgeConfig } from "../edge/config.ts";
import { blobStoreFromEnv } from "../shared/blob/from_env.ts";
import { UserError } from "../shared/errors.ts";
import type { RedisClient } from "../shared/queue/redis.ts";
import { connectRest } from "../shared/queue/rest.ts";
import { connectTcp } from "../shared/queue/tcp.ts";
import { webhookPolicyFromEnv } from "../shared/webhooks/ssrf.ts";

const env = (name: string): string | undefined => Deno.env.get(name);

function fail(message: string): never {
  console.error(`start: ${message}`);
  Deno.exit(2);
}

async function edgeRedis(url: string): Promise<RedisClient> {
  const restUrl = env("LLMSEG_REDIS_REST_URL");
  if (restUrl) {
    const token = env("LLMSEG_REDIS_REST_TOKEN") ??
      fail("LLMSEG_REDIS_REST_URL is set: also set LLMSEG_REDIS_REST_TOKEN");
    return connectRest(restUrl, token);
  }
  return await connectTcp(url);
}

function spawnWorker(): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../gpu-worker/worker/main.ts", import.meta.url).pathname],
    stdin: "null",
  }).spawn();
}

const adminToken = env("LLMSEG_ADMIN_TOKEN") ??
  fail("set LLMSEG_ADMIN_TOKEN to a secret of 16+ characters (the operator token of /v1/admin)");
const redisUrl = env("REDIS_URL") ?? "redis://127.0.0.1:6379";
/** Turns on AOF when the server persists nothing, unless told to keep its settings. */
async function ensurePersistence(tcp: RedisClient): Promise<void> {
  if (env("LLMSEG_REDIS_PERSISTENCE") === "keep") return;
  try {
    const [, appendonly] = await tcp.send("CONFIG", "GET", "appendonly") as string[];
    if (appendonly === "yes") return;
    await tcp.send("CONFIG", "SET", "appendonly", "yes");
    console.error(
      "start: Redis had no append-only file; turned AOF on (appendfsync everysec) so keys and " +
        "queued jobs survive a restart. Set `appendonly yes` in its config to keep it.",
    );
  } catch (error) {
    console.error(`start: could not check Redis persistence (${(error as Error).message})`);
  }
}

let redis: RedisClient;
try {
  // Checked first over TCP, which the workers need in any case, so the message is about Redis.
  const tcp = await connectTcp(redisUrl);
  await ensurePersistence(tcp);
  await tcp.close();
  redis = await edgeRedis(redisUrl);
} catch (error) {
  if (error instanceof UserError) fail(error.message);
  throw error;
}

const workerCount = Number(env("LLMSEG_WORKERS") ?? "1");
if (!Number.isInteger(workerCount) || workerCount < 0) {
  fail(`LLMSEG_WORKERS=${env("LLMSEG_WORKERS")}: expected 0, 1, 2, …`);
}
let stopping = false;
const workers: Deno.ChildProcess[] = [];

/** Keeps worker `index` running: started again whenever it exits, with a growing pause. */
async function superviseWorker(index: number): Promise<void> {
  let pauseMs = 1000;
  while (!stopping) {
    const started = Date.now();
    const child = spawnWorker();
    workers[index] = child;
    console.error(`start: worker ${index} running (pid ${child.pid})`);
    const status = await child.status;
    if (stopping) return;
    if (Date.now() - started > 60_000) pauseMs = 1000;
    console.error(
      `start: worker ${index} (pid ${child.pid}) exited with code ${status.code}; ` +
        `starting it again in ${pauseMs / 1000} s`,
    );
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    pauseMs = Math.min(pauseMs * 2, 30_000);
  }
}
const supervised = Array.from({ length: workerCount }, (_, i) => superviseWorker(i));

const config = edgeConfig({
  adminToken,
  maxUploadBytes: Number(env("LLMSEG_MAX_UPLOAD_BYTES") ?? 512 * 1024 ** 2),
  webhookPolicy: webhookPolicyFromEnv(),
});
const app = createApp({ redis, blob: blobStoreFromEnv(), config });
const hostname = env("HOST") ?? "127.0.0.1";
const port = Number(env("PORT") ?? "8787");
const server = Deno.serve({
  hostname,
  port,
  onListen: ({ hostname, port }) => {
    console.error(
      `start: edge on http://${hostname}:${port}/v1 (OpenAPI at /v1/openapi.json), ${workerCount} worker(s), Redis ${redisUrl}`,
    );
  },
}, app.fetch);

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const worker of workers) {
    try {
      worker.kill("SIGTERM");
    } catch { /* already exited */ }
  }
  await Promise.all([server.shutdown(), ...workers.map((w) => w.status), ...supervised]);
  await redis.close();
  Deno.exit(0);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, stop);
