import assert from "node:assert/strict";
import { loadDescriptorSet, readKnowledgeRecord } from "@llmseg/shared";
import { startFakeOpenAI } from "../../../shared/knowledge/testing/fake_openai.ts";
import { buildTinyBert } from "../../../tests/fixtures/tiny-bert/build.ts";
import { KnowledgeFileSchema } from "../../checkpoint/model_manifest.ts";
import { type LlmsegRun, llmsegWithEnv } from "../testing.ts";

const root = await Deno.makeTempDir({ prefix: "llmseg-descriptors-cli-" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

/** Runs `llmseg descriptors ...` with a test cache, no OpenAI key and no model folder, plus `env`. */
function llmseg(args: string[], env: Record<string, string> = {}): Promise<LlmsegRun> {
  return llmsegWithEnv(
    { LLMSEG_CACHE_DIR: `${root}/cache`, OPENAI_API_KEY: "", LLMSEG_MODEL_DIR: "", ...env },
    "descriptors",
    ...args,
  );
}

Deno.test("list, show and prompts print the shipped sets and templates", async () => {
  const listed = await llmseg(["list", "--json"]);
  assert.equal(listed.code, 0, listed.stderr);
  const sets = JSON.parse(listed.stdout) as { id: string; count: number }[];
  assert.deepEqual(sets.map((s) => [s.id, s.count]), [
    ["brats", 15],
    ["hippocampus", 15],
    ["la", 15],
    ["pancreas", 15],
  ]);
  const shown = await llmseg(["show", "pancreas"]);
  assert.equal(shown.code, 0, shown.stderr);
  const pancreas = await loadDescriptorSet("pancreas");
  assert.ok(shown.stdout.includes(`15. (`));
  assert.ok(shown.stdout.includes(pancreas.descriptors[14]));
  const prompts = await llmseg(["prompts"]);
  assert.match(prompts.stdout, /^la-v1 {2}sha256:[0-9a-f]{64}$/m);
  assert.match(prompts.stdout, /^generic-v1 {2}sha256:[0-9a-f]{64} {2}\{count, minWords/m);
});

Deno.test("generate writes a validated set from an OpenAI-compatible endpoint", async () => {
  const la = await loadDescriptorSet("la");
  const fake = startFakeOpenAI([{ status: 503, retryAfterMs: 10 }, {
    json: { descriptors: la.descriptors },
  }]);
  try {
    const out = `${root}/generated/la-again.json`;
    const run = await llmseg(
      ["generate", "--task", "la-again", "--structure", "left atrium", "--modality", "MRI"]
        .concat(["--prompt", "la-v1", "--out", out, "--model", "cli-model"]),
      { OPENAI_API_KEY: fake.apiKey, OPENAI_BASE_URL: fake.baseURL },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /wrote .*la-again\.json: 15 descriptors, sha256:/);
    const written = await loadDescriptorSet(out);
    assert.equal(
      written.provenance.author.kind === "llm" && written.provenance.author.model,
      "cli-model-fake",
    );
    assert.equal(fake.requests.length, 2);
  } finally {
    await fake.close();
  }
});

Deno.test("generate without a key exits 2, names the shipped sets and writes nothing", async () => {
  const out = `${root}/nokey/set.json`;
  const run = await llmseg(
    ["generate", "--task", "spleen", "--structure", "spleen", "--modality", "CT", "--out", out],
  );
  assert.equal(run.code, 2);
  assert.match(run.stderr, /llmseg descriptors: no API key .* la, pancreas, brats, hippocampus/);
  assert.ok(!run.stderr.includes("    at "), "no stack trace");
  await assert.rejects(() => Deno.stat(out), Deno.errors.NotFound);
});

Deno.test("embed prints the 768-d vector and writes the knowledge record", async () => {
  const modelDir = `${root}/tiny-bert`;
  await buildTinyBert(modelDir);
  const out = `${root}/model/knowledge.json`;
  const run = await llmseg(["embed", "--set", "brats", "--out", out], {
    LLMSEG_MODEL_DIR: modelDir,
  });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^brats: 768-d bert vector sha256:[0-9a-f]{64}$/m);
  const record = await readKnowledgeRecord(out);
  assert.equal(record?.source, "bert");
  assert.equal(record?.descriptorSetId, "brats");
  // The record is a valid model-folder knowledge.json as the trainer reads it.
  const asModelFile = KnowledgeFileSchema.parse(JSON.parse(await Deno.readTextFile(out)));
  assert.deepEqual(Float32Array.from(asModelFile.vector), record?.vector);
  const missing = await llmseg(["embed", "--set", "brats"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no BERT model folder: pass --model-dir or set LLMSEG_MODEL_DIR/);
  const standInOut = `${root}/model/stand-in.json`;
  const standIn = await llmseg(["embed", "--set", "brats", "--stand-in", "--out", standInOut]);
  assert.equal(standIn.code, 0, standIn.stderr);
  assert.match(standIn.stdout, /^brats: 768-d stand-in vector sha256:/m);
  const standInRecord = await readKnowledgeRecord(standInOut);
  assert.equal(standInRecord?.source, "stand-in");
  KnowledgeFileSchema.parse(JSON.parse(await Deno.readTextFile(standInOut)));
});

Deno.test("a bad sub-command or option exits 2 with the usage", async () => {
  const run = await llmseg(["frobnicate"]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /unknown sub-command 'frobnicate'/);
  assert.match(run.stderr, /usage: llmseg descriptors/);
  const count = await llmseg(
    ["generate", "--task", "x", "--structure", "s", "--modality", "m", "--out", `${root}/x.json`]
      .concat(["--count", "many"]),
  );
  assert.equal(count.code, 2);
  assert.match(count.stderr, /--count must be a whole number, not 'many'/);
});
