import assert from "node:assert/strict";
import { InferRequest } from "../contracts/jobs.ts";
import { JobStore } from "./jobs.ts";
import { ModelRegistry } from "./models.ts";
import type { RedisClient } from "./redis.ts";
import { connectRest } from "./rest.ts";
import { connectTcp } from "./tcp.ts";
import { startRedisServer } from "./testing.ts";
import { startUpstashShim } from "./upstash_shim.ts";
import { WorkStreams } from "./work_stream.ts";

const request = InferRequest.parse({ kind: "infer", scanId: "scan_1", modelId: "model_1" });

/** Runs `body` once over TCP and once over the Upstash REST protocol (shim over the same server). */
async function withBothTransports(body: (redis: RedisClient) => Promise<void>): Promise<void> {
  const server = await startRedisServer();
  const tcp = await connectTcp(server.url);
  const shim = startUpstashShim(tcp, "test-token");
  try {
    await body(tcp);
    await tcp.send("FLUSHALL");
    await body(connectRest(shim.url, shim.token));
  } finally {
    await shim.close();
    await tcp.close();
    await server.stop();
  }
}

Deno.test("JobStore: idempotent submit, quota, compare-and-set transitions, events", async () => {
  await withBothTransports(async (redis) => {
    const store = new JobStore(redis);
    const first = await store.submit("t1", request, { idempotencyKey: "k1", maxConcurrentJobs: 2 });
    const again = await store.submit("t1", request, { idempotencyKey: "k1", maxConcurrentJobs: 2 });
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.equal(again.job.id, first.job.id);
    await assert.rejects(
      store.submit("t1", { ...request, scanId: "other" }, {
        idempotencyKey: "k1",
        maxConcurrentJobs: 2,
      }),
      { code: "idempotency_mismatch" },
    );
    // Another tenant's key space is separate: same key, new job; and it cannot read t1's job.
    const foreign = await store.submit("t2", request, {
      idempotencyKey: "k1",
      maxConcurrentJobs: 2,
    });
    assert.notEqual(foreign.job.id, first.job.id);
    assert.equal(await store.get("t2", first.job.id), undefined);

    await store.submit("t1", request, { maxConcurrentJobs: 2 });
    await assert.rejects(store.submit("t1", request, { maxConcurrentJobs: 2 }), {
      code: "quota_exceeded",
    });

    assert.equal(await store.transition("t1", first.job.id, ["queued"], "running"), true);
    assert.equal(await store.transition("t1", first.job.id, ["queued"], "running"), false);
    // One round trip per progress event; the record follows it while the job runs and never
    // goes back (a checkpoint of an earlier iteration, a resumed run's first events).
    let sends = 0;
    const counting = new JobStore({
      send: (command, ...args) => {
        sends++;
        return redis.send(command, ...args);
      },
      close: () => redis.close(),
    });
    await counting.progress("t1", first.job.id, {
      type: "progress",
      progress: 0.5,
      phase: "infer",
    });
    assert.equal(sends, 1);
    assert.equal((await store.get("t1", first.job.id))?.progress, 0.5);
    await store.progress("t1", first.job.id, { type: "progress", progress: 0.25, phase: "resume" });
    assert.equal((await store.get("t1", first.job.id))?.progress, 0.5);
    assert.equal(
      await store.transition("t1", first.job.id, ["running"], "completed", { results: ["mask"] }),
      true,
    );
    const done = await store.get("t1", first.job.id);
    assert.equal(done?.status, "completed");
    assert.deepEqual(done?.results, ["mask"]);
    assert.equal(done?.progress, 0.5);
    // A final job frees its quota slot.
    await store.submit("t1", request, { maxConcurrentJobs: 2 });

    const events = await store.events("t1", first.job.id);
    assert.deepEqual(events.map((e) => e.event.type === "status" ? e.event.status : "progress"), [
      "queued",
      "running",
      "progress",
      "progress",
      "completed",
    ]);
    const ttl = Number(await redis.send("TTL", `t:t1:job:${first.job.id}:ev`));
    assert.ok(ttl > 0 && ttl <= 7 * 86_400, "a finished job's events expire");
    const resumed = await store.events("t1", first.job.id, events[1].id);
    assert.equal(resumed.length, 3);
    assert.equal(resumed[0].id, events[2].id);
  });
});

Deno.test("ModelRegistry: a second create of one id answers the first version, listed once", async () => {
  await withBothTransports(async (redis) => {
    const registry = new ModelRegistry(redis);
    const lineage = {
      jobId: "job_1",
      config: { patch: [16, 16, 16] },
      metrics: { finalLoss: 0.123456789012345 },
    };
    const first = await registry.create("t1", "model_1", lineage, "tenants/t1/models/model_1");
    const again = await registry.create("t1", "model_1", { ...lineage, metrics: {} }, "elsewhere");
    assert.deepEqual(again, first);
    assert.deepEqual(await registry.get("t1", "model_1"), first);
    const other = await registry.create("t1", "model_2", lineage, "tenants/t1/models/model_2");
    assert.ok(other.version > first.version);
    assert.deepEqual((await registry.list("t1")).map((m) => m.id), ["model_2", "model_1"]);
  });
});

Deno.test("WorkStreams: read, reclaim after idle, delivery counts, dead letter", async () => {
  const server = await startRedisServer();
  const redis = await connectTcp(server.url);
  try {
    const streams = new WorkStreams(redis);
    await streams.ensureGroups();
    await streams.ensureGroups(); // idempotent
    const store = new JobStore(redis);
    const { job } = await store.submit("t1", request, { maxConcurrentJobs: 5 });
    const [delivery] = await streams.read("a", 100);
    assert.equal(delivery.fields.jobId, job.id);
    assert.equal(delivery.stream, "q:infer");
    assert.deepEqual(await streams.read("b", 50), []);

    // Heartbeats keep it with "a"; once silent it goes to "b", counting a second delivery.
    await new Promise((r) => setTimeout(r, 60));
    await streams.heartbeat(delivery, "a");
    assert.equal((await streams.reclaim("b", 50)).entries.length, 0);
    await new Promise((r) => setTimeout(r, 60));
    const reclaimed = await streams.reclaim("b", 50);
    assert.equal(reclaimed.entries[0]?.id, delivery.id);
    assert.equal(await streams.deliveries(delivery), 2);

    await streams.deadLetter(reclaimed.entries[0], "poison", 2);
    const letters = await streams.deadLetters();
    assert.equal(letters[0].reason, "poison");
    assert.equal(letters[0].fields.jobId, job.id);
    assert.equal(await streams.deliveries(delivery), 0);
  } finally {
    await redis.close();
    await server.stop();
  }
});
