import assert from "node:assert/strict";
import { coreRunners } from "../../gpu-worker/worker/runners.ts";
import type { JobRecord, ResultName } from "../../shared/contracts/jobs.ts";
import type { WebhookDelivery } from "../../shared/contracts/webhooks.ts";
import { JobStore } from "../../shared/queue/jobs.ts";
import { WorkStreams } from "../../shared/queue/work_stream.ts";
import { emitWebhookEvent } from "../../shared/webhooks/dispatcher.ts";
import {
  api,
  createTenant,
  type InProcessWorker,
  pendingEntries,
  type Service,
  startQueueWorker,
  startService,
  submitJob,
  tinyTrain,
  waitFor,
  waitForAcked,
} from "../service/harness.ts";
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

/** A fresh service with a tenant, on which a test stages what a dead worker left behind. */
interface DeadWorkerScene {
  service: Service;
  tenantId: string;
  key: string;
  store: JobStore;
  /**
   * Stages what a worker SIGKILLed during a tiny training leaves: the entry pending on its
   * consumer ("dead-worker") and the job running. Resolves to the job.
   */
  orphanTraining(): Promise<JobRecord>;
  /** Starts the worker that comes after the dead one; it reclaims entries idle for 50 ms. */
  startSuccessor(): Promise<void>;
}

/** Runs `body` on a {@link DeadWorkerScene}, then stops the successor (if started) and the service. */
async function withDeadWorkerScene(body: (scene: DeadWorkerScene) => Promise<void>): Promise<void> {
  const service = await startService();
  let successor: InProcessWorker | undefined;
  try {
    const { tenant, key } = await createTenant(service);
    const store = new JobStore(service.redis);
    await body({
      service,
      tenantId: tenant.id,
      key,
      store,
      async orphanTraining() {
        const job = await submitJob(service, key, tinyTrain(2));
        const streams = new WorkStreams(service.redis);
        await streams.ensureGroups();
        assert.equal((await streams.read("dead-worker", 10)).length, 1);
        assert.ok(await store.transition(tenant.id, job.id, ["queued"], "running"));
        return job;
      },
      async startSuccessor() {
        successor = await startQueueWorker(service, {
          consumer: "successor",
          runners: coreRunners,
          reclaimIdleMs: 50,
        });
      },
    });
  } finally {
    await successor?.stop();
    await service.close();
  }
}

Deno.test({
  name: "a worker killed after marking its job completed: the successor announces it, once",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withDeadWorkerScene(
      async ({ service, tenantId, key, store, orphanTraining, startSuccessor }) => {
        const endpoint = await (await api(service, key, "/v1/webhooks", {
          method: "POST",
          json: { url: "http://127.0.0.1:9/unused" },
        })).json();
        // What a worker leaves when SIGKILLed between `job.completed` and the rest of finishing:
        // entry pending on its consumer, job completed with a model, `job.started` and
        // `job.completed` announced, `model.version.created` not, nothing acked.
        const job = await orphanTraining();
        await store.markAttempt(tenantId, job.id);
        const outcome = { results: ["metrics", "model"] as ResultName[], modelId: "model_x" };
        assert.ok(await store.transition(tenantId, job.id, ["running"], "completed", outcome));
        for (const type of ["job.started", "job.completed"] as const) {
          await emitWebhookEvent(
            service.redis,
            tenantId,
            type,
            { jobId: job.id },
            `${job.id}/${type}`,
          );
        }

        await startSuccessor();
        await waitForAcked(
          service,
          "q:train",
          "the orphaned entry to be reclaimed and acked",
          10_000,
        );

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
        const final = await store.get(tenantId, job.id);
        assert.equal(final?.status, "completed");
        assert.equal(final?.attempt, 1, "not run again");
      },
    ),
});

Deno.test({
  name: "a job whose pending entry was trimmed away fails with the reason, not left running",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withDeadWorkerScene(async ({ service, tenantId, store, orphanTraining, startSuccessor }) => {
      // Its worker took it and died; then the stream was trimmed past the pending entry.
      const job = await orphanTraining();
      await service.redis.send("XTRIM", "q:train", "MAXLEN", 0);

      await startSuccessor();
      const failed = await waitFor("the orphan to fail", async () => {
        const current = await store.get(tenantId, job.id);
        return current?.status === "failed" ? current : undefined;
      }, 10_000);
      assert.match(failed.error!, /queue entry was trimmed away .* submit it again/);
      assert.equal(await pendingEntries(service, "q:train"), 0);
      assert.equal(Number(await service.redis.send("SCARD", `t:${tenantId}:active`)), 0);
    }),
});
