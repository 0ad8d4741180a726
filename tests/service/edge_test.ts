import assert from "node:assert/strict";
import { sharedData, sharedDataPath } from "../../shared/testing/data.ts";
import { decodeVolume, encodeNifti } from "../../shared/volume/mod.ts";
import { ModelRegistry } from "../../shared/queue/models.ts";
import {
  api,
  createTenant,
  filesUnder,
  startService,
  tinyNifti,
  upload,
  uploadScan,
} from "./harness.ts";

Deno.test("edge: OpenAPI document, admin and tenant auth are separate", async () => {
  const service = await startService();
  try {
    const doc = await (await fetch(`${service.base}/v1/openapi.json`)).json();
    assert.equal(doc.openapi, "3.1.0");
    for (
      const path of [
        "/v1/scans",
        "/v1/jobs",
        "/v1/jobs/{id}/events",
        "/v1/webhooks",
        "/v1/admin/tenants",
      ]
    ) {
      assert.ok(doc.paths[path], `${path} documented`);
    }
    const { key } = await createTenant(service);
    const asTenant = await fetch(`${service.base}/v1/admin/tenants`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "x" }),
    });
    assert.equal(asTenant.status, 403);
    await asTenant.body?.cancel();
    const noKey = await fetch(`${service.base}/v1/jobs`);
    assert.equal(noKey.status, 401);
    assert.equal((await noKey.json()).error.code, "unauthorized");
    const badKey = await api(service, "lsk_nope", "/v1/jobs");
    assert.equal(badKey.status, 401);
    await badKey.body?.cancel();
    const badBody = await api(service, key, "/v1/jobs", {
      method: "POST",
      json: { kind: "infer" },
    });
    assert.equal(badBody.status, 400);
    const problem = await badBody.json();
    assert.equal(problem.error.code, "invalid_request");
    assert.match(problem.error.message, /scanId/);
    // Keys are stored hashed: the key string appears nowhere in Redis.
    const allKeys = await service.redis.send("KEYS", "*") as string[];
    assert.ok(allKeys.every((k) => !k.includes(key)));
  } finally {
    await service.close();
  }
});

Deno.test("edge: scan upload answers geometry; bad uploads get 4xx and leave nothing behind", async () => {
  const service = await startService({ config: { maxUploadBytes: 64 * 1024 } });
  try {
    const { key } = await createTenant(service);
    const good = tinyNifti();
    const raw = encodeNifti(await decodeVolume(good, "case.nii.gz"), { gzip: false });
    assert.equal((await upload(service, key, "raw.nii", raw)).status, 201);
    const res = await upload(service, key, "case.nii.gz", good);
    assert.equal(res.status, 201);
    const scan = await res.json();
    assert.deepEqual(scan.shape, [12, 10, 8]);
    assert.deepEqual(scan.spacing, [1.5, 1, 2]);
    assert.equal(scan.datatype, "float32");
    assert.equal(scan.blobKey, undefined);
    const download = await api(service, key, `/v1/scans/${scan.id}/file`);
    assert.deepEqual(new Uint8Array(await download.arrayBuffer()), good);
    const before = await filesUnder(service.blobRoot);

    const bad: [string, Uint8Array, number, string][] = [
      ["truncated.nii.gz", good.subarray(0, Math.floor(good.length * 0.6)), 422, "invalid_volume"],
      ["no-trailer.nii.gz", good.subarray(0, good.length - 8), 422, "invalid_volume"],
      ["short.nii", raw.subarray(0, raw.length - 100), 422, "invalid_volume"],
      [
        "wrong-magic.nii.gz",
        new TextEncoder().encode("GIF89a not a volume at all"),
        422,
        "invalid_volume",
      ],
      ["oversized.nii", new Uint8Array(65 * 1024), 413, "payload_too_large"],
      ["notes.txt", new TextEncoder().encode("hello"), 415, "unsupported_media_type"],
      ["empty.nii", new Uint8Array(0), 422, "invalid_volume"],
      ["noise.nii", crypto.getRandomValues(new Uint8Array(4096)), 422, "invalid_volume"],
    ];
    for (const [name, bytes, status, code] of bad) {
      const answer = await upload(service, key, name, bytes);
      const body = await answer.json();
      assert.equal(answer.status, status, `${name}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, code, name);
      assert.ok(body.error.message.length > 0);
    }
    assert.deepEqual(await filesUnder(service.blobRoot), before);
    assert.deepEqual(await filesUnder(service.spoolDir), []);
    const list = await (await api(service, key, "/v1/scans")).json();
    assert.equal(list.scans.length, 2);

    const deleted = await api(service, key, `/v1/scans/${scan.id}`, { method: "DELETE" });
    assert.equal(deleted.status, 204);
    assert.equal((await filesUnder(service.blobRoot)).length, before.length - 1);
    const gone = await api(service, key, `/v1/scans/${scan.id}`);
    assert.equal(gone.status, 404);
    await gone.body?.cancel();
  } finally {
    await service.close();
  }
});

Deno.test("edge: inference settings a model cannot honour are refused at submit with a reason", async () => {
  const service = await startService();
  try {
    const { tenant, key } = await createTenant(service);
    const scan = await uploadScan(service, key, "a.nii.gz", tinyNifti());
    const registry = new ModelRegistry(service.redis);
    const version = (id: string, config: Record<string, unknown>) =>
      registry.create(tenant.id, id, { jobId: `job_${id}`, config, metrics: {} }, `m/${id}`);
    const single = await version("single", { mode: "supervised", augment: "flip" });
    const unflipped = await version("unflipped", { mode: "cotrain", augment: "none" });
    const submit = (json: Record<string, unknown>) =>
      api(service, key, "/v1/jobs", {
        method: "POST",
        json: { kind: "infer", scanId: scan.id, ...json },
      });
    for (
      const [json, reason] of [
        [{ modelId: single.id, network: "average" }, /holds one network/],
        [{ modelId: single.id, uncertainty: true }, /holds one network/],
        [{ modelId: unflipped.id, tta: true }, /trained without flips/],
      ] as const
    ) {
      const res = await submit(json);
      assert.equal(res.status, 422, JSON.stringify(json));
      const { error } = await res.json();
      assert.equal(error.code, "unsupported_by_model");
      assert.match(error.message, reason);
    }
    assert.equal(Number(await service.redis.send("XLEN", "q:infer")), 0);
    const accepted = [
      { modelId: single.id, tta: true, largestComponent: true },
      { modelId: unflipped.id, network: "average" },
    ];
    for (const json of accepted) {
      const res = await submit(json);
      assert.equal(res.status, 202, JSON.stringify(json));
      await res.body?.cancel();
    }
    assert.equal(Number(await service.redis.send("XLEN", "q:infer")), 2);
  } finally {
    await service.close();
  }
});

Deno.test("edge: idempotent submits make one job; quota and rate limit answer 429 with a code", async () => {
  const service = await startService();
  try {
    const { tenant, key } = await createTenant(service, {
      maxConcurrentJobs: 2,
      rateLimitPerMinute: 12,
    });
    const submit = (headers: Record<string, string> = {}) =>
      api(service, key, "/v1/jobs", {
        method: "POST",
        json: { kind: "train", preset: "smoke" },
        headers,
      });
    const answers = await Promise.all([1, 2, 3].map(() => submit({ "idempotency-key": "same" })));
    const jobs = await Promise.all(answers.map((a) => a.json()));
    assert.deepEqual(answers.map((a) => a.status), [202, 202, 202]);
    assert.equal(new Set(jobs.map((j) => j.id)).size, 1);
    assert.equal(Number(await service.redis.send("XLEN", "q:train")), 1);
    const mismatch = await api(service, key, "/v1/jobs", {
      method: "POST",
      json: { kind: "train", preset: "hippocampus" },
      headers: { "idempotency-key": "same" },
    });
    assert.equal(mismatch.status, 422);
    assert.equal((await mismatch.json()).error.code, "idempotency_mismatch");

    assert.equal((await submit()).status, 202);
    const overQuota = await submit();
    assert.equal(overQuota.status, 429);
    assert.equal((await overQuota.json()).error.code, "quota_exceeded");
    const cancelled = await api(service, key, `/v1/jobs/${jobs[0].id}/cancel`, { method: "POST" });
    assert.equal((await cancelled.json()).status, "cancelled");
    assert.equal((await submit()).status, 202); // the cancelled job freed its slot

    let limited: Response | undefined;
    for (let i = 0; i < 12 && !limited; i++) {
      const res = await api(service, key, "/v1/jobs");
      if (res.status === 429) limited = res;
      else await res.body?.cancel();
    }
    assert.ok(limited, "rate limit reached");
    assert.equal((await limited.json()).error.code, "rate_limited");
    assert.ok(Number(limited.headers.get("retry-after")) > 0);
    assert.equal(tenant.rateLimitPerMinute, 12);
  } finally {
    await service.close();
  }
});

Deno.test({
  name: "edge: an HDF5 scan (LA, real data) uploads with its shape; a truncated one is refused",
  ignore: !sharedData,
  fn: async () => {
    const service = await startService();
    try {
      const { key } = await createTenant(service);
      const bytes = await Deno.readFile(sharedDataPath("la2018/06SR5RBREL16DQ6M8LWS/mri_norm2.h5"));
      const res = await upload(service, key, "mri_norm2.h5", bytes);
      const scan = await res.json();
      assert.equal(res.status, 201, JSON.stringify(scan));
      assert.equal(scan.format, "hdf5");
      assert.equal(scan.datatype, "float32");
      assert.equal(scan.shape.length, 3);
      assert.equal(scan.shape[2], 88);
      const truncated = await upload(service, key, "cut.h5", bytes.subarray(0, bytes.length >> 1));
      assert.equal(truncated.status, 422);
      assert.equal((await truncated.json()).error.code, "invalid_volume");
      assert.equal((await (await api(service, key, "/v1/scans")).json()).scans.length, 1);
    } finally {
      await service.close();
    }
  },
});
