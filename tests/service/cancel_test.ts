/**
 * Cancelling a running training: the edge answers at once with `cancelRequested`, and the worker
 * stops within one iteration of the request, not at its next heartbeat (set here to a minute, so
 * only the per-iteration check can stop it in time).
 */
import assert from "node:assert/strict";
import {
  api,
  createTenant,
  readEvents,
  submitJob,
  waitFor,
  withServiceAndWorker,
} from "./harness.ts";

/** The millisecond part of a Redis stream id ("1733480000000-0"): when the worker wrote it. */
const writtenAt = (id: string | undefined): number => Number(id?.split("-")[0]);

Deno.test({
  name: "a running training stops within one iteration of its cancel",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withServiceAndWorker(async (service) => {
      const { key } = await createTenant(service);
      const job = await submitJob(service, key, {
        kind: "train",
        preset: "smoke",
        overrides: { mode: "supervised", maxIterations: 20_000, validateEvery: 0 },
      });
      const iterations: { id?: string; iteration: number }[] = [];
      const events = readEvents(service, key, job.id, undefined, (event) => {
        const data = JSON.parse(event.data);
        if (data.loss !== undefined) iterations.push({ id: event.id, ...data }); // iterations only
      });
      await waitFor("three iterations", () => Promise.resolve(iterations.length >= 3 || undefined));
      const cancel = await api(service, key, `/v1/jobs/${job.id}/cancel`, { method: "POST" });
      const answered = Date.now();
      const record = await cancel.json();
      assert.equal(cancel.status, 202);
      assert.equal(record.status, "running");
      assert.equal(record.cancelRequested, true);

      const all = await events;
      const last = JSON.parse(all.at(-1)!.data);
      assert.deepEqual([last.type, last.status], ["status", "cancelled"]);
      // The iteration running when the cancel landed may finish and report; none starts after.
      const after = iterations.filter((e) => writtenAt(e.id) > answered);
      assert.ok(after.length <= 1, `${after.length} iterations reported after the cancel`);
      assert.ok(iterations.length < 1000, `${iterations.length} iterations ran`);
    }, { LLMSEG_HEARTBEAT_MS: "60000", LLMSEG_RECLAIM_IDLE_MS: "600000" }),
});
