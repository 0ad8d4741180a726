import assert from "node:assert/strict";
import { ModelRegistry } from "../../shared/queue/models.ts";
import { WorkStreams } from "../../shared/queue/work_stream.ts";
import { coreRunners } from "../../gpu-worker/worker/runners.ts";
import {
  api,
  createTenant,
  finalStatus,
  getJob,
  pendingEntries,
  readEvents,
  type ReceivedEvent,
  spawnWorker,
  startQueueWorker,
  startService,
  submitJob,
  tinyNifti,
  tinyTrain,
  uploadScan,
  waitForAcked,
  waitForJobStatus,
  withServiceAndWorker,
} from "./harness.ts";

Deno.test({
  name: "worker killed mid-training: another worker reclaims the job, resumes from its checkpoint",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const service = await startService();
    const first = spawnWorker(service);
    let second: ReturnType<typeof spawnWorker> | undefined;
    try {
      const { key } = await createTenant(service);
      const submitted = await submitJob(service, key, tinyTrain(16));

      // Kill the first worker (SIGKILL: no ack, no cleanup) once a checkpoint is in the blob store.
      const events: ReceivedEvent[] = [];
      let killed = false;
      const following = readEvents(service, key, submitted.id, undefined, (event) => {
        events.push(event);
        const data = JSON.parse(event.data);
        if (!killed && data.phase === "checkpoint") {
          killed = true;
          first.kill().then(() => {
            second = spawnWorker(service);
          });
        }
      });
      await following;
      const parsed = events.map((e) => JSON.parse(e.data));
      assert.equal(parsed.at(-1).status, "completed", `${first.log()}\n---\n${second?.log()}`);
      assert.match(first.log(), /consuming/);
      assert.match(second!.log(), /reclaimed q:train/);

      // The second worker started from a checkpoint (the last one uploaded, which may be newer
      // than the last one announced before the kill: events flush between tfjs steps), not from 1.
      const resumeAt = parsed.findIndex((e) => e.phase === "resume");
      assert.ok(resumeAt > 0, "the second worker resumed");
      const before = parsed.slice(0, resumeAt);
      const announced = before.filter((e) => e.phase === "checkpoint").at(-1).iteration;
      const firstAfterResume = parsed.slice(resumeAt).find((e) => e.phase === "train");
      if (firstAfterResume) {
        assert.ok(
          firstAfterResume.iteration > announced,
          `resumed at ${firstAfterResume.iteration}`,
        );
      }
      const iterations = parsed.filter((e) => e.phase === "train").map((e) => e.iteration);
      assert.equal(Math.max(...iterations), 16);

      const job = await getJob(service, key, submitted.id);
      assert.equal(job.attempt, 2);
      assert.ok(job.modelId);
      const model = await (await api(service, key, `/v1/models/${job.modelId}`)).json();
      assert.equal(model.lineage.metrics.iterations, 16);
      assert.equal(Number(await service.redis.send("XLEN", "q:dead")), 0);
      assert.equal(await pendingEntries(service, "q:train"), 0, "nothing left unacknowledged");
    } catch (error) {
      console.error(`first worker:\n${first.log()}\nsecond worker:\n${second?.log()}`);
      throw error;
    } finally {
      await first.kill();
      await second?.stop();
      await service.close();
    }
  },
});

Deno.test({
  name: "poison jobs: retried up to the limit, then dead-lettered with the job failed and a reason",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const service = await startService();
    const worker = await startQueueWorker(service, {
      consumer: "test-worker",
      runners: coreRunners,
      maxDeliveries: 2,
    });
    try {
      const { tenant, key } = await createTenant(service);
      const scan = await uploadScan(service, key, "a.nii.gz", tinyNifti());
      // A model version whose files were lost from the blob store: every attempt fails.
      const lost = await new ModelRegistry(service.redis).create(
        tenant.id,
        "model_lost",
        { jobId: "job_x", config: {}, metrics: {} },
        `tenants/${tenant.id}/models/model_lost`,
      );
      const job = await submitJob(service, key, {
        kind: "infer",
        scanId: scan.id,
        modelId: lost.id,
      });
      await service.redis.send("XADD", "q:infer", "*", "garbage", "1");

      const failed = await waitForJobStatus(service, key, job.id, "failed", 20_000);
      assert.match(
        failed.error!,
        /gave up after 2 attempts; last error: model model_lost: no files/,
      );
      assert.equal(failed.attempt, 2);
      const letters = await new WorkStreams(service.redis).deadLetters();
      assert.equal(letters.length, 2);
      assert.match(letters.find((l) => l.fields.garbage)!.reason, /malformed work message/);
      const poison = letters.find((l) => l.fields.jobId === job.id)!;
      assert.equal(poison.deliveries, 3);
      assert.equal(await pendingEntries(service, "q:infer"), 0);
    } finally {
      await worker.stop();
      await service.close();
    }
  },
});

Deno.test({
  name: "cancelling a running training stops it at the worker's next check; the entry is acked",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withServiceAndWorker(async (service, worker) => {
      const { key } = await createTenant(service);
      const job = await submitJob(service, key, tinyTrain(200));
      let cancelled: Promise<Response> | undefined;
      const events = await readEvents(service, key, job.id, undefined, (event) => {
        if (!cancelled && JSON.parse(event.data).phase === "train") {
          cancelled = api(service, key, `/v1/jobs/${job.id}/cancel`, { method: "POST" });
        }
      });
      assert.equal((await (await cancelled!).json()).cancelRequested, true);
      assert.equal(finalStatus(events), "cancelled", worker.log());
      const iterations = events.map((e) => JSON.parse(e.data)).filter((e) => e.phase === "train");
      assert.ok(iterations.length < 200, "stopped early");
      const record = await getJob(service, key, job.id);
      assert.equal(record.status, "cancelled");
      assert.deepEqual(record.results, []);
      // The ack follows the final status (the job is final before its entry is released), so
      // a loaded machine may show it a moment later.
      await waitForAcked(service, "q:train", "the cancelled entry to be acked", 10_000);
    }),
});
