import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { sharedData, sharedDataPath } from "../../shared/testing/data.ts";
import { decodeVolume } from "../../shared/volume/mod.ts";
import {
  api,
  createTenant,
  finalStatus,
  getJob,
  readEvents,
  submitJob,
  tinyNifti,
  tinyTrain,
  uploadScan,
  waitFor,
  withServiceAndWorker,
} from "./harness.ts";

/** The scan to segment: a real hippocampus case when ../shared/data is present, else synthetic. */
async function scanBytes(): Promise<{ name: string; bytes: Uint8Array }> {
  if (sharedData) {
    const path = sharedDataPath("hippocampus/imagesTr/hippocampus_001.nii.gz");
    return { name: "hippocampus_001.nii.gz", bytes: await Deno.readFile(path) };
  }
  return { name: "synthetic.nii.gz", bytes: tinyNifti([24, 20, 18]) };
}

Deno.test({
  name:
    "end to end: upload, train a tiny model, infer, follow SSE, download the mask, signed webhook",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const hooks: { body: string; headers: Headers }[] = [];
    const receiver = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        hooks.push({ body: await req.text(), headers: req.headers });
        return new Response(null, { status: 204 });
      },
    );
    try {
      await withServiceAndWorker(async (service, worker) => {
        const { key } = await createTenant(service);
        const endpoint = await (await api(service, key, "/v1/webhooks", {
          method: "POST",
          json: { url: `http://127.0.0.1:${receiver.addr.port}/hook`, events: ["job.completed"] },
        })).json();
        assert.match(endpoint.secret, /^whsec_/);

        const { name, bytes } = await scanBytes();
        const scan = await uploadScan(service, key, name, bytes);

        const trainJob = await submitJob(
          service,
          key,
          tinyTrain(2, { descriptorSetId: "hippocampus" }),
        );
        const trainEvents = await readEvents(service, key, trainJob.id);
        assert.equal(finalStatus(trainEvents), "completed", worker.log());
        // Every training iteration carries what the page charts; a checkpoint reports the
        // fraction of its iteration, not 0.
        const trainProgress = trainEvents.map((e) => JSON.parse(e.data)).filter((e) =>
          e.type === "progress"
        );
        const iterationEvents = trainProgress.filter((e) => e.phase === "train");
        assert.equal(iterationEvents.length, 2);
        for (const e of iterationEvents) {
          assert.ok(e.lr > 0 && e.etaSeconds >= 0 && Number.isFinite(e.lossSupervised), e);
        }
        const checkpoint = trainProgress.find((e) => e.phase === "checkpoint");
        assert.equal(checkpoint?.progress, checkpoint?.iteration / 2);
        const trained = await getJob(service, key, trainJob.id);
        assert.ok(trained.modelId);
        const model = await (await api(service, key, `/v1/models/${trained.modelId}`)).json();
        assert.equal(model.lineage.jobId, trainJob.id);
        assert.equal(model.lineage.config.maxIterations, 2);
        assert.equal(model.lineage.descriptorSetId, "hippocampus");

        const inferJob = await submitJob(
          service,
          key,
          { kind: "infer", scanId: scan.id, modelId: trained.modelId!, probabilities: true },
          { "idempotency-key": "infer-1" },
        );
        const events = await readEvents(service, key, inferJob.id);
        const kinds = events.map((e) => e.event);
        assert.equal(kinds[0], "status");
        assert.ok(kinds.includes("progress"));
        assert.equal(finalStatus(events), "completed", worker.log());
        assert.ok(events.every((e) => e.id && /^\d+-\d+$/.test(e.id)));
        // Resuming after the second event replays exactly the rest.
        const resumed = await readEvents(service, key, inferJob.id, events[1].id);
        assert.deepEqual(resumed.map((e) => e.id), events.slice(2).map((e) => e.id));

        const job = await getJob(service, key, inferJob.id);
        assert.deepEqual(job.results, ["mask", "probabilities"]);
        const maskRes = await api(service, key, `/v1/jobs/${inferJob.id}/results/mask`);
        assert.equal(maskRes.status, 200);
        const mask = await decodeVolume(new Uint8Array(await maskRes.arrayBuffer()), "mask.nii.gz");
        const original = await decodeVolume(bytes, name);
        assert.deepEqual(mask.shape, original.shape);
        assert.deepEqual(mask.spacing, original.spacing);
        assert.deepEqual(mask.affine, original.affine);
        assert.ok(mask.data.every((v) => v === 0 || v === 1));
        const probabilities = await api(
          service,
          key,
          `/v1/jobs/${inferJob.id}/results/probabilities`,
        );
        assert.equal(probabilities.status, 200);
        const probabilitiesPlain = new Uint8Array(await probabilities.arrayBuffer());
        // The job's inference settings reach the inferer: the mirrored map is another map.
        const mirroredJob = await submitJob(service, key, {
          kind: "infer",
          scanId: scan.id,
          modelId: trained.modelId!,
          probabilities: true,
          tta: true,
        });
        assert.equal(finalStatus(await readEvents(service, key, mirroredJob.id)), "completed");
        const mirrored = await api(
          service,
          key,
          `/v1/jobs/${mirroredJob.id}/results/probabilities`,
        );
        const [plain, ofMirrored] = await Promise.all(
          [probabilitiesPlain, new Uint8Array(await mirrored.arrayBuffer())].map((b) =>
            decodeVolume(b, "p.nii.gz")
          ),
        );
        assert.deepEqual(ofMirrored.shape, plain.shape);
        const largest = Array.from(plain.data, (v, i) => Math.abs(v - ofMirrored.data[i]))
          .reduce((m, d) => Math.max(m, d), 0);
        assert.ok(largest > 1e-4, `plain and mirrored maps agree to ${largest}`);
        const missing = await api(service, key, `/v1/jobs/${inferJob.id}/results/uncertainty`);
        assert.equal(missing.status, 409);
        await missing.body?.cancel();

        const hook = await waitFor("the job.completed webhook of the inference", () => {
          const found = hooks.find((h) => JSON.parse(h.body).data.jobId === inferJob.id);
          return Promise.resolve(found);
        }, 15_000);
        const payload = new Webhook(endpoint.secret).verify(hook.body, {
          "webhook-id": hook.headers.get("webhook-id")!,
          "webhook-timestamp": hook.headers.get("webhook-timestamp")!,
          "webhook-signature": hook.headers.get("webhook-signature")!,
        }) as { type: string; data: { jobId: string; results: string[] } };
        assert.equal(payload.type, "job.completed");
        assert.deepEqual(payload.data.results, ["mask", "probabilities"]);
      });
    } finally {
      await receiver.shutdown();
    }
  },
});
