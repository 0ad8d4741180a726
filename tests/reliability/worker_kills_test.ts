import assert from "node:assert/strict";
import { coreRunners } from "../../gpu-worker/worker/runners.ts";
import { QueueWorker } from "../../gpu-worker/worker/worker.ts";
import type { ResultName } from "../../shared/contracts/jobs.ts";
import type { WebhookDelivery } from "../../shared/contracts/webhooks.ts";
import { JobStore } from "../../shared/queue/jobs.ts";
import { connectTcp } from "../../shared/queue/tcp.ts";
import { WorkStreams } from "../../shared/queue/work_stream.ts";
import { emitWebhookEvent } from "../../shared/webhooks/dispatcher.ts";
import { api, createTenant, startService, tinyTraining, waitFor } from "../service/harness.ts";
import { killProblems, runWorkerKills } from "./worker_kills.ts";

Deno.test({
  name: "worker SIGKILLed during training and inference jobs: every job completes exactly once",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const report = await runWorkerKills({
      kills: 5,
      trainJobs: 5,
      inferJobs: 5,
      iterations: 6,
      seed: 15,
      timeoutMs: 90_000,
    });
    const problems = killProblems(report);
    assert.deepEqual(problems, [], `${problems.join("\n")}\n${report.logs.join("\n---\n")}`);
    assert.equal(report.jobs.length, 11);
    // The kills landed while jobs ran, of both kinds, and were survived by redelivery.
    assert.ok(
      report.killsDuring.train >= 1 && report.killsDuring.infer >= 1,
      JSON.stringify(report.killsDuring),
    );
    assert.ok(report.jobs.some((j) => j.attempt > 1), "at least one job ran again");
  },
});

Deno.test({
  name: "a worker killed after marking its job completed: the successor announces it, once",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const service = await startService();
    const workerRedis = await connectTcp(service.redisServer.url);
    const workRoot = await Deno.makeTempDir();
    const stop = new AbortController();
    let running: Promise<void> | undefined;
    try {
      const { tenant, key } = await createTenant(service);
      const endpoint = await (await api(service, key, "/v1/webhooks", {
        method: "POST",
        json: { url: "http://127.0.0.1:9/unused" },
      })).json();
      const job = await (await api(service, key, "/v1/jobs", {
        method: "POST",
        json: { kind: "train", preset: "smoke", overrides: { ...tinyTraining, maxIterations: 2 } },
      })).json();

      // What a worker leaves when SIGKILLed between `job.completed` and the rest of finishing:
      // entry pending on its consumer, job completed with a model, `job.started` and
      // `job.completed` announced, `model.version.created` not, nothing acked.
      const streams = new WorkStreams(service.redis);
      await streams.ensureGroups();
      assert.equal((await streams.read("dead-worker", 10)).length, 1);
      const store = new JobStore(service.redis);
      assert.ok(await store.transition(tenant.id, job.id, ["queued"], "running"));
      await store.markAttempt(tenant.id, job.id);
      const outcome = { results: ["metrics", "model"] as ResultName[], modelId: "model_x" };
      assert.ok(
        await store.transition(tenant.id, job.id, ["running"], "completed", outcome),
      );
      for (const type of ["job.started", "job.completed"] as const) {
        await emitWebhookEvent(
          service.redis,
          tenant.id,
          type,
          { jobId: job.id },
          `${job.id}/${type}`,
        );
      }

      const worker = new QueueWorker({
        redis: workerRedis,
        blob: service.blob,
        consumer: "successor",
        runners: coreRunners,
        workRoot,
        heartbeatMs: 50,
        reclaimIdleMs: 50,
        blockMs: 50,
        log: () => {},
      });
      running = worker.run(stop.signal);
      await waitFor("the orphaned entry to be reclaimed and acked", async () => {
        const pending = await service.redis.send("XPENDING", "q:train", "workers") as unknown[];
        return Number(pending[0]) === 0 || undefined;
      }, 10_000);

      const { deliveries } = await (await api(
        service,
        key,
        `/v1/webhooks/${endpoint.id}/deliveries`,
      )).json() as { deliveries: WebhookDelivery[] };
      const types = deliveries.map((d) => d.payload.type).sort();
      assert.deepEqual(types, [
        "job.completed",
        "job.queued",
        "job.started",
        "model.version.created",
      ]);
      const final = await store.get(tenant.id, job.id);
      assert.equal(final?.status, "completed");
      assert.equal(final?.attempt, 1, "not run again");
    } finally {
      stop.abort();
      await running;
      await workerRedis.close();
      await Deno.remove(workRoot, { recursive: true });
      await service.close();
    }
  },
});

Deno.test({
  name: "a job whose pending entry was trimmed away fails with the reason, not left running",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const service = await startService();
    const workerRedis = await connectTcp(service.redisServer.url);
    const workRoot = await Deno.makeTempDir();
    const stop = new AbortController();
    let running: Promise<void> | undefined;
    try {
      const { tenant, key } = await createTenant(service);
      const job = await (await api(service, key, "/v1/jobs", {
        method: "POST",
        json: { kind: "train", preset: "smoke", overrides: { ...tinyTraining, maxIterations: 2 } },
      })).json();
      // Its worker took it and died; then the stream was trimmed past the pending entry.
      const streams = new WorkStreams(service.redis);
      await streams.ensureGroups();
      assert.equal((await streams.read("dead-worker", 10)).length, 1);
      const store = new JobStore(service.redis);
      assert.ok(await store.transition(tenant.id, job.id, ["queued"], "running"));
      await service.redis.send("XTRIM", "q:train", "MAXLEN", 0);

      running = new QueueWorker({
        redis: workerRedis,
        blob: service.blob,
        consumer: "successor",
        runners: coreRunners,
        workRoot,
        heartbeatMs: 50,
        reclaimIdleMs: 50,
        blockMs: 50,
        log: () => {},
      }).run(stop.signal);
      const failed = await waitFor("the orphan to fail", async () => {
        const current = await store.get(tenant.id, job.id);
        return current?.status === "failed" ? current : undefined;
      }, 10_000);
      assert.match(failed.error!, /queue entry was trimmed away .* submit it again/);
      const pending = await service.redis.send("XPENDING", "q:train", "workers") as unknown[];
      assert.equal(Number(pending[0]), 0);
      assert.equal(Number(await service.redis.send("SCARD", `t:${tenant.id}:active`)), 0);
    } finally {
      stop.abort();
      await running;
      await workerRedis.close();
      await Deno.remove(workRoot, { recursive: true });
      await service.close();
    }
  },
});
