/**
 * Test harness of the service tests: a real redis-server on a free port, a filesystem blob store
 * in a temp folder, the edge served over real HTTP on loopback, and helpers to call it.
 */
import { createApp } from "../../edge/app.ts";
import { type EdgeConfig, edgeConfig } from "../../edge/config.ts";
import { fsBlobStore } from "../../shared/blob/fs.ts";
import type { BlobStore } from "../../shared/blob/store.ts";
import type { ApiKeyCreated, Tenant } from "../../shared/contracts/tenants.ts";
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
  service: Service,
  settings: { rateLimitPerMinute?: number; maxConcurrentJobs?: number } = {},
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
  init: { method?: string; json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}`, ...init.headers };
  let body = init.body;
  if (init.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.json);
  }
  return fetch(`${service.base}${path}`, { method: init.method ?? "GET", headers, body });
}

/** A tiny gzipped NIfTI scan (float32, shape `shape`, spacing [1.5, 1, 2]) or a binary label. */
export function tinyNifti(
  shape: [number, number, number] = [12, 10, 8],
  label = false,
): Uint8Array {
  const n = shape[0] * shape[1] * shape[2];
  const spacing: [number, number, number] = [1.5, 1, 2];
  const data = label ? new Uint8Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = label ? (i % 7 === 0 ? 1 : 0) : Math.sin(i) * 100;
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

/** Every file under `dir`, recursively (to prove a bad upload left nothing behind). */
export async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) found.push(...await filesUnder(`${dir}/${entry.name}`));
    else found.push(`${dir}/${entry.name}`);
  }
  return found;
}
