/**
 * `deno task bench service [--concurrency 16] [--uploads 200] [--polls 2000]`: load on the edge,
 * loopback only and bounded. Starts its own redis-server and `deploy/start.ts` (edge only, its own
 * process), then N concurrent clients upload small NIfTI scans and poll job status. Prints
 * throughput and latency percentiles per operation.
 *
 * `deno task bench service --soak 90 [--uploaders 4] [--pollers 8] [--streams 32] [--hold 5]
 * [--event-ms 250]`: a soak instead, for a fixed number of seconds, all at once: uploads (each
 * scan deleted again after), job status polls, `/healthz` probes, and SSE streams held for
 * `--hold` s then resumed with `Last-Event-ID`, on jobs to which progress events are appended every
 * `--event-ms` ms as a worker would. Prints per kind the requests, errors and p50/p95/p99
 * latency (for SSE: time to the response headers, and each event's lag from its append, read
 * from the Redis stream id), and the edge's resident memory before and after.
 */
import { parseArgs } from "node:util";
import { JobStore } from "../../shared/queue/jobs.ts";
import { connectTcp } from "../../shared/queue/tcp.ts";
import { startRedisServer } from "../../shared/queue/testing.ts";
import { encodeNifti, spacingAffine } from "../../shared/volume/mod.ts";

const { values } = parseArgs({
  args: Deno.args.slice(1),
  options: {
    concurrency: { type: "string", default: "16" },
    uploads: { type: "string", default: "200" },
    polls: { type: "string", default: "2000" },
    soak: { type: "string" },
    uploaders: { type: "string", default: "4" },
    pollers: { type: "string", default: "8" },
    streams: { type: "string", default: "32" },
    hold: { type: "string", default: "5" },
    "event-ms": { type: "string", default: "250" },
  },
});
const concurrency = Math.min(Number(values.concurrency), 256);
const uploads = Math.min(Number(values.uploads), 10_000);
const polls = Math.min(Number(values.polls), 100_000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The edge process's resident set now and at its peak (VmRSS, VmHWM), MB. */
function edgeRssMb(pid: number): { now: number; peak: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1]) / 1024;
  return { now: field("VmRSS"), peak: field("VmHWM") };
}

/** Latencies and errors of one kind of request during a soak. */
class Tally {
  readonly latencies: number[] = [];
  errors = 0;
  firstError?: string;

  constructor(readonly name: string) {}

  /** Times `op`; a throw counts as an error (and is not timed). */
  async time(op: () => Promise<void>): Promise<void> {
    const start = performance.now();
    try {
      await op();
      this.latencies.push(performance.now() - start);
    } catch (error) {
      this.fail(error);
    }
  }

  fail(error: unknown): void {
    this.errors++;
    this.firstError ??= (error as Error).message ?? String(error);
  }

  print(seconds: number): void {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (p: number) => sorted.length ? `${percentile(sorted, p).toFixed(1)}ms` : "-";
    console.log(
      `${this.name.padEnd(11)} n=${sorted.length} errors=${this.errors} ` +
        `rate=${(sorted.length / seconds).toFixed(1)}/s p50=${at(50)} p95=${at(95)} ` +
        `p99=${at(99)} max=${at(100)}${this.firstError ? ` first error: ${this.firstError}` : ""}`,
    );
  }
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

/** Throws unless `res` has `status`; the body is read or dropped. */
async function expect(res: Response, status: number): Promise<Response> {
  if (res.status !== status) throw new Error(`${res.status}: ${await res.text()}`);
  return res;
}

/**
 * Reads one SSE stream for `holdMs` (then leaves, as a client closing the page would); returns the
 * last event id seen, to resume from.
 */
async function followStream(
  jobId: string,
  auth: Record<string, string>,
  lastEventId: string | undefined,
  holdMs: number,
  open: Tally,
  lag: Tally,
): Promise<string | undefined> {
  const started = performance.now();
  const connectedAt = Date.now();
  const headers: Record<string, string> = { ...auth, accept: "text/event-stream" };
  if (lastEventId) headers["last-event-id"] = lastEventId;
  const leave = new AbortController();
  // The reader is cancelled by hand: an aborted fetch signal did not always end a body read.
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const timer = setTimeout(() => {
    leave.abort();
    reader?.cancel().catch(() => {});
  }, holdMs);
  try {
    let res: Response;
    try {
      res = await expect(
        await fetch(`${base}/v1/jobs/${jobId}/events`, { headers, signal: leave.signal }),
        200,
      );
    } catch (error) {
      if (!leave.signal.aborted) open.fail(error);
      return lastEventId;
    }
    open.latencies.push(performance.now() - started);
    reader = res.body!.getReader();
    if (leave.signal.aborted) await reader.cancel();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        const complete = buffer.slice(0, buffer.lastIndexOf("\n") + 1);
        buffer = buffer.slice(complete.length);
        for (const match of complete.matchAll(/^id: ?((\d+)-\d+)$/gm)) {
          lastEventId = match[1];
          // A stream id starts with the Redis server's clock (ms) at the append (the same
          // machine). Only events appended while this stream was open count: a resume's
          // catch-up after the client's own reconnect gap is not the edge's delay.
          const appendedAt = Number(match[2]);
          if (appendedAt >= connectedAt) lag.latencies.push(Date.now() - appendedAt);
        }
      }
      if (!leave.signal.aborted) lag.fail(new Error("stream ended before the client left"));
    } catch (error) {
      if (!leave.signal.aborted) lag.fail(error);
    }
    return lastEventId;
  } finally {
    clearTimeout(timer);
  }
}

/** The soak: every kind of client at once for `seconds`; prints a line per kind and the RSS. */
async function soak(
  options: {
    seconds: number;
    auth: Record<string, string>;
    scan: Uint8Array;
    jobIds: string[];
    tenantId: string;
  },
): Promise<void> {
  const { seconds, auth, scan, jobIds } = options;
  const deadline = Date.now() + seconds * 1000;
  const holdMs = Number(values.hold) * 1000;
  const eventMs = Number(values["event-ms"]);
  const tallies = {
    upload: new Tally("upload"),
    delete: new Tally("delete"),
    status: new Tally("status"),
    healthz: new Tally("healthz"),
    sseOpen: new Tally("sse-open"),
    sseLag: new Tally("sse-lag"),
  };
  const before = edgeRssMb(edge.pid);
  console.log(
    `soak: ${seconds} s, ${values.uploaders} uploaders, ${values.pollers} pollers, ` +
      `${values.streams} SSE streams (held ${values.hold} s) on ${jobIds.length} jobs with an ` +
      `event each every ${eventMs} ms, 1 healthz probe every 100 ms`,
  );

  // The worker's side, simulated: progress events appended to every job.
  const writerRedis = await connectTcp(redis.url);
  const store = new JobStore(writerRedis);
  let appended = 0;
  const writer = (async () => {
    for (let i = 1; Date.now() < deadline; i++) {
      await Promise.all(jobIds.map((id) =>
        store.progress(options.tenantId, id, {
          type: "progress",
          progress: 0,
          phase: "train",
          iteration: i,
        })
      ));
      appended += jobIds.length;
      await new Promise((r) => setTimeout(r, eventMs));
    }
  })();

  const until = async (body: () => Promise<void>): Promise<void> => {
    while (Date.now() < deadline) await body();
  };
  let uploaded = 0;
  const uploaders = Array.from({ length: Number(values.uploaders) }, () =>
    until(async () => {
      let id: string | undefined;
      await tallies.upload.time(async () => {
        const res = await fetch(`${base}/v1/scans?name=soak-${uploaded++}.nii.gz`, {
          method: "POST",
          headers: auth,
          body: scan as Uint8Array<ArrayBuffer>,
        });
        id = (await (await expect(res, 201)).json()).id;
      });
      // Deleted again, so a long soak does not fill the disk.
      if (id) {
        await tallies.delete.time(async () => {
          await expect(
            await fetch(`${base}/v1/scans/${id}`, { method: "DELETE", headers: auth }),
            204,
          );
        });
      }
    }));
  let polled = 0;
  const pollers = Array.from(
    { length: Number(values.pollers) },
    () =>
      until(() =>
        tallies.status.time(async () => {
          const id = jobIds[polled++ % jobIds.length];
          await (await expect(await fetch(`${base}/v1/jobs/${id}`, { headers: auth }), 200)).body
            ?.cancel();
        })
      ),
  );
  const probe = until(async () => {
    await tallies.healthz.time(async () => {
      await (await expect(await fetch(`${base}/healthz`), 200)).body?.cancel();
    });
    await new Promise((r) => setTimeout(r, 100));
  });
  const streams = Array.from({ length: Number(values.streams) }, (_, i) => {
    const jobId = jobIds[i % jobIds.length];
    let last: string | undefined;
    return until(async () => {
      const hold = Math.min(holdMs, Math.max(1, deadline - Date.now()));
      last = await followStream(jobId, auth, last, hold, tallies.sseOpen, tallies.sseLag);
    });
  });
  await Promise.all([writer, ...uploaders, ...pollers, probe, ...streams]);
  await writerRedis.close();
  // Let the edge settle (streams closed, garbage collected) before the second reading.
  await new Promise((r) => setTimeout(r, 2000));
  const after = edgeRssMb(edge.pid);

  for (const tally of Object.values(tallies)) tally.print(seconds);
  console.log(
    `events appended: ${appended}; received over SSE while their stream was open: ` +
      `${tallies.sseLag.latencies.length} (one job is followed by 1-2 streams)`,
  );
  console.log(
    `edge RSS: ${before.now.toFixed(0)} MB before, ${after.now.toFixed(0)} MB after ` +
      `(peak ${after.peak.toFixed(0)} MB)`,
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

  const jobIds: string[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${base}/v1/jobs`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ kind: "train", preset: "smoke" }),
    });
    jobIds.push((await res.json()).id);
  }

  if (values.soak) {
    await soak({ seconds: Number(values.soak), auth, scan, jobIds, tenantId: tenant.id });
  } else {
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
    report(
      "status",
      await load(polls, async (i) => {
        const res = await fetch(`${base}/v1/jobs/${jobIds[i % jobIds.length]}`, { headers: auth });
        if (res.status !== 200) throw new Error(`status ${res.status}`);
        await res.body?.cancel();
      }),
    );
  }
} finally {
  edge.kill("SIGTERM");
  await edge.status;
  await redis.stop();
  await Deno.remove(blobDir, { recursive: true });
}
