import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { UserError } from "@llmseg/shared";
import {
  descriptorSetPath,
  knowledgeVectorFor,
  toKnowledgeRecord,
} from "../../shared/knowledge/mod.ts";
import { loadModelFolder } from "../checkpoint/model_folder.ts";
import { type KnowledgeFile, knowledgeReference } from "../checkpoint/model_manifest.ts";
import { presets, resolveConfig, train, trainingKnowledge } from "./mod.ts";

await tf.setBackend("cpu");

const tiny = { maxIterations: 1, validateEvery: 0, checkpointEvery: 1 };

Deno.test("every paper preset names its own shipped descriptor set", () => {
  for (const task of ["la", "pancreas", "brats", "hippocampus"] as const) {
    assert.equal(presets[task].descriptors, task);
  }
  assert.equal(presets.smoke.descriptors, "la");
});

Deno.test("trainingKnowledge: the config's set, a given record, nothing at beta 0, a bad set refused", async () => {
  const out = await Deno.makeTempDir();
  try {
    const la = toKnowledgeRecord(await knowledgeVectorFor("la"));
    assert.deepEqual(await trainingKnowledge(resolveConfig("smoke"), { out }), la);
    // A set file path resolves like its id.
    const byPath = await trainingKnowledge(
      resolveConfig("smoke", { descriptors: descriptorSetPath("brats") }),
      { out },
    );
    assert.equal(byPath?.descriptorSetId, "brats");
    assert.notDeepEqual(byPath?.vector, la.vector);
    const given: KnowledgeFile = { ...la, descriptorSetId: "tenant-set" };
    assert.equal(
      await trainingKnowledge(resolveConfig("smoke"), { out, record: given }),
      given,
    );
    assert.equal(await trainingKnowledge(resolveConfig("smoke", { beta: 0 }), { out }), undefined);
    await assert.rejects(
      trainingKnowledge(resolveConfig("smoke", { descriptors: "no-such-set" }), { out }),
      (e: unknown) => e instanceof UserError && /no-such-set/.test(e.message),
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("train stores the named set's vector and identity in the model folder, and inference loads that vector", async () => {
  const out = await Deno.makeTempDir();
  try {
    const result = await train({
      preset: "smoke",
      out,
      overrides: { ...tiny, descriptors: "hippocampus" },
    });
    assert.equal(result.config.descriptors, "hippocampus");
    const expected = toKnowledgeRecord(await knowledgeVectorFor("hippocampus"));
    const manifest = JSON.parse(await Deno.readTextFile(join(out, "model.json")));
    assert.deepEqual(manifest.knowledge, knowledgeReference(expected));
    assert.equal(manifest.knowledge.source, expected.source);
    assert.equal(manifest.training.descriptors, "hippocampus");
    const model = await loadModelFolder(out);
    try {
      assert.deepEqual(model.knowledge, expected);
      for (const network of model.networks.values()) {
        assert.deepEqual(network.knowledge, Float32Array.from(expected.vector));
      }
    } finally {
      model.dispose();
    }
    // Resuming keeps the run's vector; a different one is refused by name.
    const other = toKnowledgeRecord(await knowledgeVectorFor("la"));
    await assert.rejects(
      train({ preset: "smoke", out, resume: true, knowledge: other }),
      (e: unknown) =>
        e instanceof UserError && /cannot resume with another knowledge vector/.test(e.message),
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("train with a given record names its set in the config; beta 0 stores no knowledge", async () => {
  const withRecord = await Deno.makeTempDir(), plain = await Deno.makeTempDir();
  try {
    const record = {
      ...toKnowledgeRecord(await knowledgeVectorFor("la")),
      descriptorSetId: "mine",
    };
    const result = await train({
      preset: "smoke",
      out: withRecord,
      overrides: tiny,
      knowledge: record,
    });
    assert.equal(result.config.descriptors, "mine");
    const manifest = JSON.parse(await Deno.readTextFile(join(withRecord, "model.json")));
    assert.deepEqual(manifest.knowledge, knowledgeReference(record));

    await train({
      preset: "smoke",
      out: plain,
      overrides: { ...tiny, beta: 0 },
      knowledge: record,
    });
    const noText = JSON.parse(await Deno.readTextFile(join(plain, "model.json")));
    assert.equal(noText.knowledge, null);
    assert.equal(noText.network.beta, 0);
    await assert.rejects(Deno.stat(join(plain, "knowledge.json")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(withRecord, { recursive: true });
    await Deno.remove(plain, { recursive: true });
  }
});
