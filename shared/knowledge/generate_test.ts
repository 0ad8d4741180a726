import assert from "node:assert/strict";
import OpenAI from "openai";
import { descriptorSetHash, loadDescriptorSet } from "./descriptor_set.ts";
import { generateDescriptors, type GenerateDescriptorsOptions } from "./generate.ts";
import { loadPrompt, renderPrompt } from "./prompts.ts";
import { type FakeOpenAI, type FakeReply, startFakeOpenAI } from "./testing/fake_openai.ts";
import { rejectsUserError } from "./testing/user_error.ts";
import { UserError } from "../errors.ts";

const shipped = await loadDescriptorSet("la");
const goodAnswer: FakeReply = { json: { descriptors: shipped.descriptors } };

async function withFake(
  script: FakeReply[],
  fn: (fake: FakeOpenAI, options: GenerateDescriptorsOptions) => Promise<void>,
): Promise<void> {
  const fake = startFakeOpenAI(script);
  try {
    await fn(fake, {
      id: "la-regenerated",
      structure: "left atrium",
      modality: "3D MRI",
      promptId: "la-v1",
      baseURL: fake.baseURL,
      apiKey: fake.apiKey,
      model: "test-model",
      maxRetries: 0,
    });
  } finally {
    await fake.close();
  }
}

Deno.test("a structured answer becomes a validated set with provenance", async () => {
  await withFake([goodAnswer], async (fake, options) => {
    const set = await generateDescriptors(options);
    assert.equal(set.id, "la-regenerated");
    assert.equal(descriptorSetHash(set), descriptorSetHash(shipped));
    const prompt = loadPrompt("la-v1");
    assert.deepEqual(set.provenance.prompt, {
      id: "la-v1",
      hash: prompt.hash,
      text: renderPrompt(prompt, {}),
    });
    assert.deepEqual(set.provenance.author, {
      kind: "llm",
      model: "test-model-fake",
      endpoint: fake.baseURL,
    });
    assert.ok(Date.now() - Date.parse(set.provenance.createdAt) < 60_000);

    const [request] = fake.requests;
    assert.equal(request.authorization, `Bearer ${fake.apiKey}`);
    assert.equal(request.body.model, "test-model");
    assert.equal(request.body.messages.at(-1)!.content, renderPrompt(prompt, {}));
    const format = request.body.response_format!;
    assert.equal(format.type, "json_schema");
    assert.equal(format.json_schema!.name, "descriptors");
    assert.equal(format.json_schema!.strict, true);
    const items = (format.json_schema!.schema.properties as Record<string, Record<string, unknown>>)
      .descriptors;
    assert.equal(items.minItems, 15);
    assert.equal(items.maxItems, 15);
  });
});

Deno.test("the generic prompt carries the structure, modality and requested count", async () => {
  const answer = { json: { descriptors: shipped.descriptors.slice(0, 10) } };
  await withFake([answer], async (fake, options) => {
    const set = await generateDescriptors({
      ...options,
      id: "spleen",
      structure: "spleen",
      modality: "3D contrast-enhanced CT",
      promptId: undefined,
      landmarks: "the splenic hilum",
      count: 10,
    });
    assert.equal(set.requirements.count, 10);
    assert.equal(set.provenance.prompt.id, "generic-v1");
    const sent = fake.requests[0].body.messages.at(-1)!.content;
    assert.match(sent, /^Generate 10 descriptive crucial features, each of a minimum of 60 words/);
    assert.match(sent, /segmenting the spleen from 3D contrast-enhanced CT images/);
    assert.match(sent, /such as the splenic hilum,/);
  });
});

Deno.test("429 and 500 are retried with backoff until an answer comes", async () => {
  const script: FakeReply[] = [
    { status: 429, retryAfterMs: 20 },
    { status: 500, retryAfterMs: 20 },
    goodAnswer,
  ];
  await withFake(script, async (fake, options) => {
    const set = await generateDescriptors({ ...options, maxRetries: 3 });
    assert.equal(set.descriptors.length, 15);
    assert.equal(fake.requests.length, 3);
  });
});

Deno.test("a rate limit that outlasts the retries is a clear llm_unavailable error", async () => {
  const script: FakeReply[] = [1, 2, 3].map(() => ({ status: 429, retryAfterMs: 5 }));
  await withFake(script, async (fake, options) => {
    const error = await rejectsUserError(
      () => generateDescriptors({ ...options, maxRetries: 2 }),
      /answered 429 after 2 retries/,
    );
    assert.equal(error.code, "llm_unavailable");
    assert.equal(fake.requests.length, 3);
  });
});

Deno.test("a rejected key is a 401 error at once, without retries", async () => {
  await withFake([goodAnswer], async (fake, options) => {
    const error = await rejectsUserError(
      () => generateDescriptors({ ...options, apiKey: "sk-wrong", maxRetries: 3 }),
      /refused the API key \(401\); check OPENAI_API_KEY/,
    );
    assert.equal(error.code, "llm_unauthorized");
    assert.equal(fake.requests.length, 1);
  });
});

Deno.test("an endpoint that does not answer in time gives llm_timeout after its retries", async () => {
  await withFake([{ delayMs: 5000 }, { delayMs: 5000 }], async (fake, options) => {
    const started = Date.now();
    const error = await rejectsUserError(
      () => generateDescriptors({ ...options, timeoutMs: 150, maxRetries: 1 }),
      /did not answer in time \(1 retries\)/,
    );
    assert.equal(error.code, "llm_timeout");
    assert.equal(fake.requests.length, 2);
    assert.ok(Date.now() - started < 4000);
  });
});

Deno.test("a cancelled request stops at once and is not mistaken for a user error", async () => {
  await withFake([{ delayMs: 5000 }], async (fake, options) => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(
      () => generateDescriptors({ ...options, signal: controller.signal, maxRetries: 2 }),
      (error: Error) => error instanceof OpenAI.APIUserAbortError && !(error instanceof UserError),
    );
    assert.equal(fake.requests.length, 1);
  });
});

Deno.test("malformed answers are refused with the reason", async () => {
  const cases: [FakeReply, RegExp][] = [
    [{ content: "Here are your features: 1. ..." }, /is not JSON: Here are your features/],
    [{ content: '{"features": []}' }, /has no 'descriptors' array of strings/],
    [{ content: '{"descriptors": ["a"', finishReason: "length" }, /was cut off/],
    [{ json: { descriptors: shipped.descriptors.slice(1) } }, /has 14 descriptors/],
    [
      { json: { descriptors: [...shipped.descriptors.slice(1), "Too short."] } },
      /descriptors\.14: has 2 words, at least 60 required/,
    ],
  ];
  for (const [reply, message] of cases) {
    await withFake([reply], async (_fake, options) => {
      const error = await rejectsUserError(() => generateDescriptors(options), message);
      assert.equal(error.code, "llm_malformed");
    });
  }
});

Deno.test("a refusal is reported as such", async () => {
  await withFake([{ refusal: "I can't help with that." }], async (_fake, options) => {
    const error = await rejectsUserError(
      () => generateDescriptors(options),
      /the model refused: I can't help with that\./,
    );
    assert.equal(error.code, "llm_refused");
  });
});

Deno.test("without a key the error names the shipped sets and nothing is sent", async () => {
  await withFake([goodAnswer], async (fake, options) => {
    const error = await rejectsUserError(
      () => generateDescriptors({ ...options, apiKey: "" }),
      /set OPENAI_API_KEY .* or use a shipped descriptor set: la, pancreas, brats, hippocampus/,
    );
    assert.equal(error.code, "llm_no_key");
    assert.equal(fake.requests.length, 0);
  });
});

Deno.test("bad options are refused before any request", async () => {
  await withFake([goodAnswer], async (fake, options) => {
    await rejectsUserError(() => generateDescriptors({ ...options, id: "Bad Id" }), /set id/);
    await rejectsUserError(
      () => generateDescriptors({ ...options, count: 10 }),
      /asks for 15 descriptors of at least 60 words; use generic-v1/,
    );
    await rejectsUserError(
      () => generateDescriptors({ ...options, promptId: "nope-v9" }),
      /unknown prompt 'nope-v9'/,
    );
    assert.equal(fake.requests.length, 0);
  });
});
