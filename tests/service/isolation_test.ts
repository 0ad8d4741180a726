import assert from "node:assert/strict";
import { ModelRegistry } from "../../shared/queue/models.ts";
import { api, createTenant, startService, tinyNifti, upload } from "./harness.ts";

Deno.test("tenant isolation: another tenant's ids answer 404 on every route, never data", async () => {
  const service = await startService();
  try {
    const a = await createTenant(service);
    const b = await createTenant(service);
    const image = await (await upload(service, a.key, "img.nii.gz", tinyNifti())).json();
    const label = await (await upload(service, a.key, "lbl.nii.gz", tinyNifti(undefined, true)))
      .json();
    const testImage =
      await (await upload(service, a.key, "t.nii.gz", tinyNifti(undefined, false, 1)))
        .json();
    const testLabel = await (await upload(service, a.key, "tl.nii.gz", tinyNifti(undefined, true)))
      .json();
    const datasetRes = await api(service, a.key, "/v1/datasets", {
      method: "POST",
      json: {
        name: "a",
        labelled: [{ image: image.id, label: label.id }],
        test: [{ image: testImage.id, label: testLabel.id }],
      },
    });
    assert.equal(datasetRes.status, 201);
    const dataset = await datasetRes.json();
    const model = await new ModelRegistry(service.redis).create(
      a.tenant.id,
      "model_a",
      { jobId: "job_a", config: {}, metrics: {} },
      `tenants/${a.tenant.id}/models/model_a`,
    );
    const job = await (await api(service, a.key, "/v1/jobs", {
      method: "POST",
      json: { kind: "infer", scanId: image.id, modelId: model.id },
    })).json();
    const hook = await (await api(service, a.key, "/v1/webhooks", {
      method: "POST",
      json: { url: "http://127.0.0.1:9/hook" },
    })).json();

    // Tenant A's endpoint logged the job.queued delivery of a job submitted after registering it.
    await api(service, a.key, "/v1/jobs", {
      method: "POST",
      json: { kind: "train", preset: "smoke" },
    }).then((r) => r.body?.cancel());
    const queuedDelivery =
      (await (await api(service, a.key, `/v1/webhooks/${hook.id}/deliveries`)).json())
        .deliveries[0].id;
    const attempts: [string, string, unknown?][] = [
      ["GET", `/v1/scans/${image.id}`],
      ["GET", `/v1/scans/${image.id}/file`],
      ["DELETE", `/v1/scans/${image.id}`],
      ["GET", `/v1/datasets/${dataset.id}`],
      ["POST", "/v1/datasets", { name: "x", labelled: [{ image: image.id, label: label.id }] }],
      ["GET", `/v1/jobs/${job.id}`],
      ["POST", `/v1/jobs/${job.id}/cancel`],
      ["GET", `/v1/jobs/${job.id}/events`],
      ["GET", `/v1/jobs/${job.id}/results/mask`],
      ["POST", "/v1/jobs", { kind: "infer", scanId: image.id, modelId: model.id }],
      ["POST", "/v1/jobs", { kind: "train", datasetId: dataset.id }],
      ["POST", "/v1/jobs", { kind: "evaluate", modelId: model.id, datasetId: dataset.id }],
      ["GET", `/v1/models/${model.id}`],
      ["GET", `/v1/webhooks/${hook.id}`],
      ["GET", `/v1/webhooks/${hook.id}/deliveries`],
      ["POST", `/v1/webhooks/${hook.id}/deliveries/${queuedDelivery}/replay`],
      ["DELETE", `/v1/webhooks/${hook.id}`],
    ];
    for (const [method, path, json] of attempts) {
      const res = await api(service, b.key, path, { method, json });
      const text = await res.text();
      assert.equal(res.status, 404, `${method} ${path}: ${res.status} ${text}`);
      assert.equal(JSON.parse(text).error.code, "not_found");
      assert.ok(!text.includes(a.tenant.id), `${method} ${path} leaks the tenant id`);
    }
    for (const list of ["/v1/scans", "/v1/datasets", "/v1/jobs", "/v1/models", "/v1/webhooks"]) {
      const body = await (await api(service, b.key, list)).json();
      const items = Object.values(body)[0] as unknown[];
      assert.deepEqual(items, [], `${list} of tenant B`);
    }
    // Tenant A still has everything, untouched.
    assert.equal((await api(service, a.key, `/v1/scans/${image.id}/file`)).status, 200);
    assert.equal((await (await api(service, a.key, `/v1/jobs/${job.id}`)).json()).status, "queued");
    assert.equal((await api(service, a.key, `/v1/webhooks/${hook.id}`)).status, 200);
  } finally {
    await service.close();
  }
});

Deno.test("datasets: mismatched shapes and non-binary labels are refused with the reason", async () => {
  const service = await startService();
  try {
    const { key } = await createTenant(service);
    const image = await (await upload(service, key, "img.nii.gz", tinyNifti([12, 10, 8]))).json();
    const small = await (await upload(service, key, "small.nii.gz", tinyNifti([8, 8, 8], true)))
      .json();
    const grey = await (await upload(service, key, "grey.nii.gz", tinyNifti([12, 10, 8], false, 1)))
      .json();
    const mismatch = await api(service, key, "/v1/datasets", {
      method: "POST",
      json: { name: "x", labelled: [{ image: image.id, label: small.id }] },
    });
    assert.equal(mismatch.status, 422);
    assert.match((await mismatch.json()).error.message, /\[12,10,8\].*\[8,8,8\]/);
    const notBinary = await api(service, key, "/v1/datasets", {
      method: "POST",
      json: { name: "x", labelled: [{ image: image.id, label: grey.id }] },
    });
    assert.equal(notBinary.status, 422);
    assert.match((await notBinary.json()).error.message, /a label holds classes/);
  } finally {
    await service.close();
  }
});
