import assert from "node:assert/strict";
import {
  api,
  createTenant,
  finalStatus,
  getJob,
  readEvents,
  type Service,
  startService,
  submitJob,
  tinyTrain,
  waitForJobStatus,
  withServiceAndWorker,
} from "./harness.ts";

/** Submits a training job; resolves to the status and the answer's body. */
async function submitTrain(
  service: Service,
  key: string,
  body: Record<string, unknown>,
): Promise<{ status: number; body: { error?: { code: string; message: string } } }> {
  const res = await api(service, key, "/v1/jobs", {
    method: "POST",
    json: { kind: "train", preset: "smoke", ...body },
  });
  return { status: res.status, body: await res.json() };
}

Deno.test("POST /v1/jobs: a training names descriptor sets by id only, never a path", async () => {
  const service = await startService();
  try {
    const { key } = await createTenant(service);
    for (const path of ["/etc/hostname", "/proc/self/environ", "/dev/zero", "/tmp"]) {
      const { status, body } = await submitTrain(service, key, {
        overrides: { descriptors: path },
      });
      assert.equal(status, 400, `${path}: ${JSON.stringify(body)}`);
      assert.equal(body.error?.code, "invalid_request");
      assert.match(body.error!.message, /descriptors/);
    }
    const unknownSet = await submitTrain(service, key, { descriptorSetId: "../../etc/hostname" });
    assert.equal(unknownSet.status, 404);
    assert.equal(Number(await service.redis.send("XLEN", "q:train")), 0, "nothing was queued");
  } finally {
    await service.close();
  }
});

Deno.test("POST /v1/jobs: the whole training configuration and the tenant's limits are checked at submit", async () => {
  const service = await startService();
  try {
    const { key } = await createTenant(service);
    const refused: [Record<string, unknown>, number, string, RegExp][] = [
      [{ maxIterations: -5 }, 400, "invalid_request", /maxIterations/],
      [{ maxIterations: 2.5 }, 400, "invalid_request", /maxIterations/],
      [{ learningRate: 1 }, 400, "invalid_request", /learningRate/],
      [{ patch: [17, 16, 16] }, 422, "bad_config", /divisible by 16/],
      [{ labeledBatchSize: 8 }, 422, "bad_config", /labeledBatchSize/],
      [{ maxIterations: 1_000_000_000 }, 422, "limit_exceeded", /maxIterations: 1000000000/],
      [{ patch: [256, 256, 256] }, 422, "limit_exceeded", /patch/],
      [{ nFilters: 64 }, 422, "limit_exceeded", /nFilters/],
    ];
    for (const [overrides, status, code, message] of refused) {
      const answer = await submitTrain(service, key, { overrides });
      assert.equal(answer.status, status, JSON.stringify({ overrides, answer }));
      assert.equal(answer.body.error?.code, code);
      assert.match(answer.body.error!.message, message);
    }
    assert.equal(Number(await service.redis.send("XLEN", "q:train")), 0, "nothing was queued");

    // Per-tenant: the operator's limit, not the default, decides.
    const small = await createTenant(service, { limits: { maxIterations: 10 } });
    const over = await submitTrain(service, small.key, { overrides: { maxIterations: 11 } });
    assert.equal(over.status, 422);
    assert.match(over.body.error!.message, /exceeds this tenant's 10/);
    const fits = await submitTrain(service, small.key, { overrides: { maxIterations: 10 } });
    assert.equal(fits.status, 202);
    // Stored as sent: no schema default (unsupMaxWeight 1) slipped in over the preset's value.
    assert.deepEqual((fits.body as { request?: { overrides: unknown } }).request?.overrides, {
      maxIterations: 10,
    });
  } finally {
    await service.close();
  }
});

Deno.test({
  name:
    "worker: a job past the tenant's wall-time limit fails with the reason and frees the worker",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withServiceAndWorker(async (service, worker) => {
      const { key } = await createTenant(service, { limits: { maxWallSeconds: 2 } });
      const long = await submitJob(service, key, tinyTrain(20_000));
      const events = await readEvents(service, key, long.id, undefined, undefined, 60_000);
      assert.equal(finalStatus(events), "failed", worker.log());
      const job = await getJob(service, key, long.id);
      assert.match(job.error!, /2 s limit/);
      // The worker is free again: a small job after it completes.
      const next = await submitJob(service, key, tinyTrain(2));
      await waitForJobStatus(service, key, next.id, "completed", 60_000);
    }),
});
