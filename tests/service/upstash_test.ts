import assert from "node:assert/strict";
import { connectRest } from "../../shared/queue/rest.ts";
import { startUpstashShim } from "../../shared/queue/upstash_shim.ts";
import { api, createTenant, readEvents, startService, tinyNifti, upload } from "./harness.ts";

Deno.test({
  name: "edge over the Upstash REST protocol (shim over the real redis-server)",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    let shim: ReturnType<typeof startUpstashShim> | undefined;
    const service = await startService({
      edgeRedis: (_server, tcp) => {
        shim = startUpstashShim(tcp, "rest-token");
        return Promise.resolve(connectRest(shim.url, shim.token));
      },
    });
    try {
      const { key } = await createTenant(service);
      const scan = await (await upload(service, key, "a.nii.gz", tinyNifti())).json();
      assert.deepEqual(scan.shape, [12, 10, 8]);
      const submit = () =>
        api(service, key, "/v1/jobs", {
          method: "POST",
          json: { kind: "train", preset: "smoke" },
          headers: { "idempotency-key": "rest-1" },
        });
      const [first, second] = await Promise.all([submit(), submit()]);
      const job = await first.json();
      assert.equal((await second.json()).id, job.id);
      // The job went through REST into the stream the TCP worker reads.
      const entries = await service.redis.send("XRANGE", "q:train", "-", "+") as [
        string,
        string[],
      ][];
      assert.equal(entries.length, 1);
      assert.ok(entries[0][1].includes(job.id));

      const following = readEvents(service, key, job.id);
      await new Promise((r) => setTimeout(r, 100));
      const cancel = await api(service, key, `/v1/jobs/${job.id}/cancel`, { method: "POST" });
      assert.equal((await cancel.json()).status, "cancelled");
      const events = (await following).map((e) => JSON.parse(e.data).status);
      assert.deepEqual(events, ["queued", "cancelled"]);
    } finally {
      await service.close();
      await shim?.close();
    }
  },
});
