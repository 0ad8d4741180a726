import assert from "node:assert/strict";
import { loadDescriptorSet } from "../../shared/knowledge/descriptor_set.ts";
import { startFakeOpenAI } from "../../shared/knowledge/testing/fake_openai.ts";
import { api, createTenant, startService } from "./harness.ts";

Deno.test("descriptors: generated through the LLM (fake OpenAI server), per tenant, with shipped sets", async () => {
  const shipped = await loadDescriptorSet("hippocampus");
  const fake = startFakeOpenAI([{ json: { descriptors: shipped.descriptors } }, { status: 401 }]);
  const service = await startService({
    config: {
      llm: { baseURL: fake.baseURL, apiKey: fake.apiKey, model: "test-model", maxRetries: 0 },
    },
  });
  try {
    const a = await createTenant(service);
    const b = await createTenant(service);
    const body = {
      id: "hippo-a",
      structure: "hippocampus",
      modality: "3D MRI",
      promptId: "hippocampus-v1",
    };
    const res = await api(service, a.key, "/v1/descriptors", { method: "POST", json: body });
    const set = await res.json();
    assert.equal(res.status, 201, JSON.stringify(set));
    assert.equal(set.id, "hippo-a");
    assert.deepEqual(set.descriptors, shipped.descriptors);
    assert.equal(fake.requests[0].body.model, "test-model");
    assert.match(set.provenance.author.model, /^test-model/);
    assert.equal(fake.requests[0].body.response_format?.type, "json_schema");

    const again = await api(service, a.key, "/v1/descriptors", { method: "POST", json: body });
    assert.equal(again.status, 409);
    await again.body?.cancel();

    const listA = (await (await api(service, a.key, "/v1/descriptors")).json()).sets;
    assert.ok(
      listA.some((s: { id: string; owner: string }) => s.id === "hippo-a" && s.owner === "tenant"),
    );
    assert.ok(
      listA.some((s: { id: string; owner: string }) => s.id === "la" && s.owner === "shipped"),
    );
    const listB = (await (await api(service, b.key, "/v1/descriptors")).json()).sets;
    assert.ok(!listB.some((s: { id: string }) => s.id === "hippo-a"));
    assert.equal((await api(service, a.key, "/v1/descriptors/hippo-a")).status, 200);
    const foreign = await api(service, b.key, "/v1/descriptors/hippo-a");
    assert.equal(foreign.status, 404);
    await foreign.body?.cancel();
    assert.equal((await (await api(service, b.key, "/v1/descriptors/la")).json()).id, "la");

    const train = await api(service, b.key, "/v1/jobs", {
      method: "POST",
      json: { kind: "train", descriptorSetId: "hippo-a" },
    });
    assert.equal(train.status, 404);
    await train.body?.cancel();

    // The LLM endpoint refusing the service's key is the service's problem: 502 with the code.
    const failed = await api(service, a.key, "/v1/descriptors", {
      method: "POST",
      json: { ...body, id: "hippo-b" },
    });
    assert.equal(failed.status, 502);
    assert.equal((await failed.json()).error.code, "llm_unauthorized");
  } finally {
    await service.close();
    await fake.close();
  }
});
