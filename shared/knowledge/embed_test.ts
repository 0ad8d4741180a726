import assert from "node:assert/strict";
import { buildTinyBert } from "../../tests/fixtures/tiny-bert/build.ts";
import { type DescriptorSet, loadDescriptorSet } from "./descriptor_set.ts";
import { embedDescriptorSet } from "./embed.ts";
import { knowledgeVectorFor, standInKnowledge } from "./knowledge_vector.ts";
import { readKnowledgeRecord, writeKnowledgeRecord } from "./knowledge_record.ts";
import { rejectsUserError } from "./testing/user_error.ts";

const root = await Deno.makeTempDir({ prefix: "llmseg-knowledge-" });
const tinyBert = `${root}/tiny-bert`;
await buildTinyBert(tinyBert);
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

let cacheCount = 0;
function freshCache(): string {
  return `${root}/cache-${cacheCount++}`;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

Deno.test("each shipped set embeds to one 768-d vector, the same on every run", async () => {
  for (const id of ["la", "pancreas", "brats", "hippocampus"]) {
    const set = await loadDescriptorSet(id);
    const first = await embedDescriptorSet(set, { modelDir: tinyBert, cacheDir: freshCache() });
    const again = await embedDescriptorSet(set, { modelDir: tinyBert, cacheDir: freshCache() });
    assert.equal(first.vector.length, 768);
    assert.ok(first.vector.every(Number.isFinite));
    assert.deepEqual(again.vector, first.vector, id);
    assert.equal(again.hash, first.hash);
  }
});

Deno.test("the embedding records its set, source and encoder", async () => {
  const la = await loadDescriptorSet("la");
  const first = await embedDescriptorSet(la, { modelDir: tinyBert, cacheDir: freshCache() });
  assert.equal(first.source, "bert");
  assert.equal(first.descriptorSetId, "la");
  assert.match(first.encoder, /^bert last-layer \[CLS\], mean over 15 descriptors/);
  assert.ok(new Set(first.vector).size > 700, "entries differ from each other");
});

Deno.test("the vector is the mean over descriptors: order-free, and set-specific", async () => {
  const la = await loadDescriptorSet("la");
  const reversed: DescriptorSet = { ...la, descriptors: [...la.descriptors].reverse() };
  const pancreas = await loadDescriptorSet("pancreas");
  const options = { modelDir: tinyBert, cacheDir: freshCache() };
  const a = await embedDescriptorSet(la, options);
  const b = await embedDescriptorSet(reversed, options);
  const c = await embedDescriptorSet(pancreas, options);
  assert.notEqual(a.hash, b.hash);
  assert.ok(maxAbsDiff(a.vector, b.vector) < 1e-5);
  assert.ok(maxAbsDiff(a.vector, c.vector) > 1e-2);
});

Deno.test("descriptors longer than BERT's 512 positions are truncated, not refused", async () => {
  const la = await loadDescriptorSet("la");
  // About 1000 words: well over 512 WordPiece tokens, which the tiny model (like BERT) cannot take.
  const long: DescriptorSet = { ...la, descriptors: [la.descriptors.join(" ")] };
  const embedded = await embedDescriptorSet(long, { modelDir: tinyBert, cacheDir: freshCache() });
  assert.equal(embedded.vector.length, 768);
  assert.ok(embedded.vector.every(Number.isFinite));
  const { AutoModel, AutoTokenizer, env } = await import("@huggingface/transformers");
  env.localModelPath = `${root}/`;
  const tokenizer = await AutoTokenizer.from_pretrained("tiny-bert");
  const model = await AutoModel.from_pretrained("tiny-bert", { dtype: "fp32" });
  try {
    await assert.rejects(() => model(tokenizer(long.descriptors[0])), /Non-zero status code/);
  } finally {
    await model.dispose();
  }
});

Deno.test("a second embedding of the same set under the same model comes from the cache", async () => {
  const hippocampus = await loadDescriptorSet("hippocampus");
  const cacheDir = freshCache();
  const computed = await embedDescriptorSet(hippocampus, { modelDir: tinyBert, cacheDir });
  const file = `${cacheDir}/${computed.hash.slice("sha256:".length)}.json`;
  const stored = await readKnowledgeRecord(file);
  assert.deepEqual(stored?.vector, computed.vector);
  // Mark the cached vector; a cache hit must return the mark rather than recompute.
  await writeKnowledgeRecord(file, { ...computed, vector: computed.vector.map((v) => v + 1) });
  const hit = await embedDescriptorSet(hippocampus, { modelDir: tinyBert, cacheDir });
  assert.ok(Math.abs(hit.vector[0] - computed.vector[0] - 1) < 1e-6);
  // A damaged entry is recomputed.
  await Deno.writeTextFile(file, "{ damaged");
  const recomputed = await embedDescriptorSet(hippocampus, { modelDir: tinyBert, cacheDir });
  assert.deepEqual(recomputed.vector, computed.vector);
});

Deno.test("a missing or incomplete model folder gives a clear message", async () => {
  const la = await loadDescriptorSet("la");
  const error = await rejectsUserError(
    () => embedDescriptorSet(la, { modelDir: `${root}/no-such-model`, cacheDir: freshCache() }),
    /no BERT model folder at .*no-such-model: LLMSEG_MODEL_DIR must name a folder/,
  );
  assert.equal(error.code, "model_missing");
  const partial = `${root}/partial`;
  await buildTinyBert(partial);
  await Deno.remove(`${partial}/onnx/model.onnx`);
  await rejectsUserError(
    () => embedDescriptorSet(la, { modelDir: partial, cacheDir: freshCache() }),
    /partial lacks onnx\/model\.onnx/,
  );
});

Deno.test("a model whose hidden size is not 768 is refused", async () => {
  const la = await loadDescriptorSet("la");
  const small = `${root}/small-bert`;
  await buildTinyBert(small, { hidden: 32 });
  const error = await rejectsUserError(
    () => embedDescriptorSet(la, { modelDir: small, cacheDir: freshCache() }),
    /has hidden size 32; the knowledge vector must be 768-d/,
  );
  assert.equal(error.code, "model_invalid");
  // A config that claims 768 over a 32-d network is caught when the network runs.
  const config = JSON.parse(await Deno.readTextFile(`${small}/config.json`));
  await Deno.writeTextFile(`${small}/config.json`, JSON.stringify({ ...config, hidden_size: 768 }));
  await rejectsUserError(
    () => embedDescriptorSet(la, { modelDir: small, cacheDir: freshCache() }),
    /produced 32-d states/,
  );
});

Deno.test({
  name: "without a BERT folder the knowledge vector is the set's fixed stand-in",
  ignore: Deno.env.get("LLMSEG_MODEL_DIR") !== undefined,
  async fn() {
    const la = await knowledgeVectorFor("la");
    const again = await knowledgeVectorFor("la");
    const brats = await knowledgeVectorFor("brats");
    assert.equal(la.source, "stand-in");
    assert.equal(la.vector.length, 768);
    assert.deepEqual(again, la);
    assert.notEqual(brats.hash, la.hash);
    assert.ok(maxAbsDiff(la.vector, brats.vector) > 0.5);
    const mean = la.vector.reduce((s, v) => s + v, 0) / 768;
    const std = Math.sqrt(la.vector.reduce((s, v) => s + (v - mean) ** 2, 0) / 768);
    assert.ok(Math.abs(mean) < 0.1 && Math.abs(std - 0.5) < 0.1, `mean ${mean}, std ${std}`);
    assert.deepEqual(la, standInKnowledge(await loadDescriptorSet("la")));
  },
});

Deno.test("with a BERT folder knowledgeVectorFor embeds the set", async () => {
  const options = { modelDir: tinyBert, cacheDir: freshCache() };
  const viaConfig = await knowledgeVectorFor("pancreas", options);
  const direct = await embedDescriptorSet(await loadDescriptorSet("pancreas"), options);
  assert.equal(viaConfig.source, "bert");
  assert.deepEqual(viaConfig, direct);
});

Deno.test("a knowledge record round-trips through a model folder; a bad one is named", async () => {
  const knowledge = standInKnowledge(await loadDescriptorSet("brats"));
  const path = `${root}/model-folder/knowledge.json`;
  await writeKnowledgeRecord(path, knowledge);
  assert.deepEqual(await readKnowledgeRecord(path), knowledge);
  assert.equal(await readKnowledgeRecord(`${root}/model-folder/none.json`), undefined);
  await Deno.writeTextFile(path, JSON.stringify({ schema: "llmseg.knowledge/v1", vector: [1] }));
  await rejectsUserError(
    () => readKnowledgeRecord(path),
    /knowledge\.json is not a knowledge record/,
  );
});
