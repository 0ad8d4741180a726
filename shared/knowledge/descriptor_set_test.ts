import assert from "node:assert/strict";
import { rejectsUserError, throwsUserError } from "./testing/user_error.ts";
import {
  type DescriptorSet,
  descriptorSetHash,
  listDescriptorSets,
  loadDescriptorSet,
  parseDescriptorSet,
  saveDescriptorSet,
  wordCount,
} from "./descriptor_set.ts";
import { listPrompts, loadPrompt, renderPrompt } from "./prompts.ts";

const paperPath = new URL("../../../shared/paper/llm-segnet-paper.md", import.meta.url);
const paper: string | undefined = (() => {
  try {
    return Deno.readTextFileSync(paperPath);
  } catch {
    return undefined;
  }
})();

Deno.test("the four shipped sets validate: 15 descriptors of at least 60 words each", async () => {
  const sets = await listDescriptorSets();
  assert.deepEqual(sets.map((s) => s.id), ["brats", "hippocampus", "la", "pancreas"]);
  for (const summary of sets) {
    const set = await loadDescriptorSet(summary.id);
    assert.deepEqual(set.descriptors.length, 15);
    assert.ok(set.descriptors.every((d) => wordCount(d) >= 60), summary.id);
    assert.deepEqual(summary.hash, descriptorSetHash(set));
  }
});

Deno.test("each shipped set records the current hash and text of the prompt it followed", async () => {
  for (const summary of await listDescriptorSets()) {
    const set = await loadDescriptorSet(summary.id);
    const prompt = loadPrompt(set.provenance.prompt.id);
    assert.deepEqual(set.provenance.prompt.hash, prompt.hash, summary.id);
    assert.deepEqual(set.provenance.prompt.text, renderPrompt(prompt, {}), summary.id);
  }
});

Deno.test({
  name: "the LA and Pancreas prompts are the paper's Table 1 prompts verbatim",
  ignore: paper === undefined,
  fn() {
    const caption = paper!.split("\n").find((line) => line.startsWith("Table 1:"))!;
    assert.ok(caption.includes(loadPrompt("la-v1").text.trim()));
    // The caption repeats a garbled fragment before the Pancreas prompt's last sentence.
    const [pancreasBody, lastSentence] = loadPrompt("pancreas-v1").text.trim().split(
      " Each description",
    );
    assert.ok(caption.includes(pancreasBody));
    assert.ok(caption.includes(`Each description${lastSentence} Res refers`));
  },
});

Deno.test("every prompt has a distinct id and content hash; only the generic one has variables", () => {
  const prompts = listPrompts();
  assert.deepEqual(new Set(prompts.map((p) => p.hash)).size, prompts.length);
  for (const p of prompts) assert.match(p.hash, /^sha256:[0-9a-f]{64}$/);
  const generic = prompts.find((p) => p.id === "generic-v1")!;
  assert.deepEqual(generic.variables.sort(), [
    "count",
    "landmarks",
    "minWords",
    "modality",
    "neighbours",
    "structure",
  ]);
  assert.ok(prompts.filter((p) => p.id !== "generic-v1").every((p) => p.variables.length === 0));
});

Deno.test("renderPrompt fills placeholders and names missing or unused values", () => {
  const generic = loadPrompt("generic-v1");
  const values = {
    structure: "spleen",
    modality: "3D CT",
    landmarks: "the hilum",
    neighbours: "the stomach",
    count: 15,
    minWords: 60,
  };
  const text = renderPrompt(generic, values);
  assert.ok(
    text.startsWith("Generate 15 descriptive crucial features, each of a minimum of 60 words"),
  );
  assert.ok(text.includes("segmenting the spleen from 3D CT images"));
  assert.ok(!text.includes("{{"));
  const { modality: _, ...withoutModality } = values;
  throwsUserError(() => renderPrompt(generic, withoutModality), /needs modality/);
  throwsUserError(
    () => renderPrompt(loadPrompt("la-v1"), { structure: "x" }),
    /does not use structure/,
  );
  throwsUserError(() => loadPrompt("../etc/passwd"), /known prompts: brats-wt-flair-v1/);
});

async function laSet(): Promise<DescriptorSet> {
  return await loadDescriptorSet("la");
}

Deno.test("a set that misses the requirements is refused with every problem named", async () => {
  const good = await laSet();
  const bad = {
    ...good,
    descriptors: [
      ...good.descriptors.slice(0, 12),
      "Too short to guide anything.",
      good.descriptors[3].replace("narrow", "slim"),
    ],
  };
  const error = throwsUserError(() => parseDescriptorSet(bad, "bad.json"), /bad\.json/);
  assert.match(error.message, /bad\.json is not a valid descriptor set/);
  assert.match(error.message, /has 14 descriptors, the prompt asked for 15/);
  assert.match(error.message, /descriptors\.12: has 5 words, at least 60 required/);
  assert.match(error.message, /descriptors\.13: is nearly the same as descriptor 3/);
});

Deno.test("saveDescriptorSet writes a set that loads back, and writes nothing for a bad set", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const set = await laSet();
    const path = `${dir}/out/la-copy.json`;
    await saveDescriptorSet({ ...set, id: "la-copy" }, path);
    const back = await loadDescriptorSet(path);
    assert.deepEqual(back.id, "la-copy");
    assert.deepEqual(descriptorSetHash(back), descriptorSetHash(set));
    await rejectsUserError(
      () => saveDescriptorSet({ ...set, descriptors: set.descriptors.slice(1) }, `${dir}/bad.json`),
      /has 14 descriptors/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["out"]);
    assert.deepEqual([...Deno.readDirSync(`${dir}/out`)].map((e) => e.name), ["la-copy.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loading an unknown set names the shipped sets; a non-JSON file names the file", async () => {
  await rejectsUserError(
    () => loadDescriptorSet("spleen"),
    /shipped sets: brats, hippocampus, la, pancreas/,
  );
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(file, "{ not json");
    await rejectsUserError(() => loadDescriptorSet(file), /is not JSON/);
  } finally {
    await Deno.remove(file);
  }
});
