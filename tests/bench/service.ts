/**
 * `deno task bench service [--concurrency 16] [--uploads 200] [--polls 2000]`: load on the edge,
 * loopback only and bounded. Starts its own redis-server and `deploy/start.ts` (edge only, its own
 * process), then N concurrent clients upload small NIfTI scans and poll job status. Prints
 * throughput and latency percentiles per operation.
 */
import { parseArgs } from "node:util";
import { startRedisServer } from "../../shared/queue/testing.ts";
import { encodeNifti, spacingAffine } from "../../shared/volume/mod.ts";

const { values } = parseArgs({
  args: Deno.args.slice(1),
  options: {
    concurrency: { type: "string", default: "16" },
    uploads: { type: "string", default: "200" },
    polls: { type: "string", default: "2000" },
  },
});
const concurrency = Math.min(Number(values.concurrency), 256);
const uploads = Math.min(Number(values.uploads), 10_000);
const polls = Math.min(Number(values.polls), 100_000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Runs `count` calls of `op` with `concurrency` in flight; returns latencies (ms) and wall time. */
async function load(
  count: number,
  op: (i: number) => Promise<void>,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      const start = performance.now();
      await op(i);
      latencies.push(performance.now() - start);
    }
  }));
  return { latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - t0) / 1000 };
}

function report(
  name: string,
  { latencies, seconds }: { latencies: number[]; seconds: number },
): void {
  console.log(
    `${name.padEnd(8)} n=${latencies.length} concurrency=${concurrency} ` +
      `throughput=${(latencies.length / seconds).toFixed(1)}/s ` +
      `p50=${percentile(latencies, 50).toFixed(1)}ms p99=${
        percentile(latencies, 99).toFixed(1)
      }ms ` +
      `max=${latencies.at(-1)!.toFixed(1)}ms`,
  );
}

const redis = await startRedisServer();
const blobDir = await Deno.makeTempDir({ prefix: "llmseg-bench-" });
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = (listener.addr as Deno.NetAddr).port;
listener.close();
const adminToken = "bench-admin-token-0123456789";
const edge = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", new URL("../../deploy/start.ts", import.meta.url).pathname],
  env: {
    REDIS_URL: redis.url,
    PORT: String(port),
    LLMSEG_WORKERS: "0",
    LLMSEG_BLOB_DIR: blobDir,
    LLMSEG_ADMIN_TOKEN: adminToken,
  },
  stdout: "null",
  stderr: "null",
}).spawn();
const base = `http://127.0.0.1:${port}`;
try {
  for (let i = 0;; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch { /* not up yet */ }
    if (i > 300) throw new Error("edge did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  const admin = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
  const tenant = await (await fetch(`${base}/v1/admin/tenants`, {
    method: "POST",
    headers: admin,
    body: JSON.stringify({ name: "bench", rateLimitPerMinute: 1_000_000, maxConcurrentJobs: 1000 }),
  })).json();
  const { key } = await (await fetch(`${base}/v1/admin/tenants/${tenant.id}/keys`, {
    method: "POST",
    headers: admin,
  })).json();
  const auth = { authorization: `Bearer ${key}` };

  const shape: [number, number, number] = [32, 32, 32];
  const data = new Float32Array(shape[0] * shape[1] * shape[2]).map((_, i) => Math.sin(i));
  const scan = encodeNifti({
    shape,
    channels: 1,
    data,
    spacing: [1, 1, 1],
    affine: spacingAffine([1, 1, 1]),
  });
  console.log(`scan: ${shape.join("x")} float32, ${scan.length} bytes gzipped`);

  report(
    "upload",
    await load(uploads, async (i) => {
      const res = await fetch(`${base}/v1/scans?name=bench-${i}.nii.gz`, {
        method: "POST",
        headers: auth,
        body: scan as Uint8Array<ArrayBuffer>,
      });
      if (res.status !== 201) throw new Error(`upload ${res.status}: ${await res.text()}`);
      await res.body?.cancel();
    }),
  );

  const jobIds: string[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${base}/v1/jobs`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ kind: "train", preset: "smoke" }),
    });
    jobIds.push((await res.json()).id);
  }
  report(
    "status",
    await load(polls, async (i) => {
      const res = await fetch(`${base}/v1/jobs/${jobIds[i % jobIds.length]}`, { headers: auth });
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      await res.body?.cancel();
    }),
  );
} finally {
  edge.kill("SIGTERM");
  await edge.status;
  await redis.stop();
  await Deno.remove(blobDir, { recursive: true });
}
