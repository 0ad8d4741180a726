import assert from "node:assert/strict";
import { freePort } from "../../shared/queue/testing.ts";
import {
  api,
  createTenant,
  spawnWorker,
  startService,
  tinyTraining,
  waitFor,
} from "../service/harness.ts";

/** A redis-server with AOF on in `dir`, on `port`; resolves once it answers. */
async function startAofRedis(port: number, dir: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitFor("redis-server", async () => {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return true;
    } catch {
      return undefined;
    }
  }, 10_000);
  return child;
}

Deno.test("edge: Redis down answers 503 with Retry-After, not 500", async () => {
  const service = await startService();
  try {
    const { key } = await createTenant(service);
    await service.redisServer.stop();
    const down = await api(service, key, "/v1/jobs");
    assert.equal(down.status, 503);
    assert.equal(down.headers.get("retry-after"), "5");
    assert.equal((await down.json()).error.code, "unavailable");
  } finally {
    await service.close().catch(() => {});
  }
});

Deno.test({
  name: "worker: survives a Redis restart mid-job with AOF on (0 lost) and lost consumer groups",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const service = await startService();
    // The service's own Redis is replaced by one with AOF on a port we restart it on.
    const dir = await Deno.makeTempDir({ prefix: "llmseg-aof-" });
    const port = freePort();
    let redis = await startAofRedis(port, dir);
    const url = `redis://127.0.0.1:${port}`;
    const worker = spawnWorker({ ...service, redisServer: { ...service.redisServer, url } });
    const { connectTcp } = await import("../../shared/queue/tcp.ts");
    const { JobStore } = await import("../../shared/queue/jobs.ts");
    const client = await connectTcp(url);
    try {
      const store = new JobStore(client);
      const submit = async () =>
        (await store.submit("t1", {
          kind: "train",
          preset: "smoke",
          overrides: { ...tinyTraining, maxIterations: 6 },
        }, { maxConcurrentJobs: 100 })).job.id;
      const ids = [await submit(), await submit(), await submit()];
      await waitFor("the first job to run", async () => {
        const job = await store.get("t1", ids[0]).catch(() => undefined);
        return job?.status === "running" || undefined;
      }, 60_000);
      redis.kill("SIGTERM"); // a clean restart: the AOF is complete
      await redis.status;
      redis = await startAofRedis(port, dir);
      // Consumer groups gone too (a server restarted without them): the worker makes them again.
      await waitFor("the client to reconnect", () => client.send("PING").catch(() => undefined));
      await client.send("XGROUP", "DESTROY", "q:train", "workers");
      await client.send("XGROUP", "CREATE", "q:train", "workers", "0");
      await client.send("XGROUP", "DESTROY", "q:train", "workers");
      ids.push(await submit());
      const finals = await waitFor("every job final", async () => {
        const jobs = await Promise.all(ids.map((id) => store.get("t1", id).catch(() => undefined)));
        return jobs.every((j) => j && ["completed", "failed"].includes(j.status))
          ? jobs
          : undefined;
      }, 120_000);
      assert.deepEqual(finals.map((j) => j!.status), ids.map(() => "completed"), worker.log());
      const models = Number(await client.send("ZCARD", "t:t1:models"));
      assert.equal(models, ids.length, "one model per job: none lost, none duplicated");
      assert.match(worker.log(), /NOGROUP|Redis unavailable|Connection/);
    } finally {
      await worker.stop();
      await client.close();
      redis.kill("SIGKILL");
      await redis.status;
      await service.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
