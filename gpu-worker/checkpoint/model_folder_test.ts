import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Rng, UserError } from "@llmseg/shared";
import { createNetwork, NetworkConfigSchema } from "../networks/network.ts";
import { loadModelFolder, saveModelFolder } from "./model_folder.ts";
import type { KnowledgeFile } from "./model_manifest.ts";
import {
  testKnowledge as knowledge,
  testManifest as manifest,
  testNetworkConfig as config,
  trainedTestPair,
} from "./testing.ts";
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from "./training_checkpoint.ts";
import { loadState } from "./state.ts";
import { writeSafetensors } from "./safetensors.ts";

await tf.setBackend("cpu");

Deno.test("a model folder round-trips both networks and the knowledge vector exactly", async () => {
  const dir = await Deno.makeTempDir();
  const pair = trainedTestPair();
  const x = tf.randomNormal([1, 16, 16, 16, 1], 0, 1, "float32", 1) as tf.Tensor5D;
  try {
    await saveModelFolder(dir, manifest, pair, knowledge);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "knowledge.json",
      "model.json",
      "weights.safetensors",
    ]);
    const loaded = await loadModelFolder(dir, { expectArch: "vnet" });
    assert.deepEqual(loaded.manifest, manifest);
    assert.deepEqual(loaded.knowledge, knowledge);
    for (const [member, original] of pair) {
      const out = loaded.networks.get(member)!.apply(x, { training: false });
      const expected = original.apply(x, { training: false });
      assert.deepEqual(out.dataSync(), expected.dataSync());
      tf.dispose([out, expected]);
    }
    loaded.dispose();
    await assert.rejects(
      loadModelFolder(dir, { expectArch: "unet3d" }),
      (e: unknown) => e instanceof UserError && /the model is a vnet, not a unet3d/.test(e.message),
    );
  } finally {
    tf.dispose([x]);
    pair.forEach((network) => network.dispose());
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("broken model folders are refused with the file and the problem", async () => {
  const dir = await Deno.makeTempDir();
  const vector = Float32Array.from(knowledge.vector);
  const a = createNetwork(config, 1, vector);
  try {
    await assert.rejects(
      loadModelFolder(dir),
      /model\.json: cannot read \(missing\); is this a model folder\?/,
    );
    await assert.rejects(
      saveModelFolder(dir, { ...manifest, members: ["a"] }, new Map([["a", a]]), {
        ...knowledge,
        descriptorSetId: "brats",
      }),
      /not the vector the manifest names: descriptorSetId is brats/,
    );
    await saveModelFolder(dir, { ...manifest, members: ["a"] }, new Map([["a", a]]), knowledge);
    const path = `${dir}/knowledge.json`;
    // Another set, another vector identity, or the same identity with edited values: refused.
    const refusedWhen = async (changed: Partial<KnowledgeFile>, problem: RegExp): Promise<void> => {
      await Deno.writeTextFile(path, JSON.stringify({ ...knowledge, ...changed }));
      await assert.rejects(
        loadModelFolder(dir),
        (e: unknown) =>
          e instanceof UserError &&
          /knowledge\.json is not the knowledge vector model\.json names/.test(e.message) &&
          problem.test(e.message),
      );
    };
    await refusedWhen({ descriptorSetId: "pancreas" }, /descriptorSetId is pancreas, expected la/);
    await refusedWhen({ hash: "sha256:" + "ef".repeat(32) }, /hash is sha256:efef.*, expected/);
    await refusedWhen({ source: "bert" }, /source is bert, expected stand-in/);
    const edited = [...knowledge.vector];
    edited[767] += 0.5;
    await refusedWhen({ vector: edited }, /vectorHash is sha256:/);
    await Deno.writeTextFile(path, JSON.stringify({ ...knowledge, vector: [1, 2] }));
    await assert.rejects(loadModelFolder(dir), /knowledge\.json: .*vector/);
    await Deno.writeTextFile(path, JSON.stringify(knowledge));
    const model = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    await Deno.writeTextFile(
      `${dir}/model.json`,
      JSON.stringify({ ...model, network: { ...config, width: 4 } }),
    );
    await assert.rejects(
      loadModelFolder(dir),
      /weights\.safetensors \(a\): block_one\.conv\.0\.weight has shape/,
    );
    await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify({ ...model, patch: [16, 16] }));
    await assert.rejects(
      loadModelFolder(dir),
      (e: unknown) => e instanceof UserError && /model\.json: .*patch/.test(e.message),
    );
  } finally {
    a.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a training checkpoint restores weights, optimiser buffers, RNG states and iteration", async () => {
  const dir = await Deno.makeTempDir();
  const plain = NetworkConfigSchema.parse({ arch: "unet3d", width: 2 });
  const net = createNetwork(plain, 5);
  const other = createNetwork(plain, 6);
  const rng = new Rng(42);
  rng.uniform();
  const buffer = new Map([["conv1.conv1.0.weight", tf.fill([3, 3, 3, 1, 2], 0.25)]]);
  try {
    const path = `${dir}/ckpt.safetensors`;
    await saveTrainingCheckpoint(path, {
      iteration: 17,
      rngStates: { sampler: rng.state },
      groups: { a: net.namedState(), "sgd-a": buffer },
      info: { preset: "smoke" },
    });
    const loaded = await loadTrainingCheckpoint(path);
    assert.equal(loaded.iteration, 17);
    assert.deepEqual(loaded.info, { preset: "smoke" });
    const resumed = Rng.fromState(loaded.rngStates.sampler);
    assert.equal(resumed.nextUint32(), rng.nextUint32());
    assert.deepEqual(loaded.groups["sgd-a"].get("conv1.conv1.0.weight")!.shape, [3, 3, 3, 1, 2]);
    loadState(other.namedState(), loaded.groups.a, path);
    for (const [name, variable] of net.namedState()) {
      assert.deepEqual(other.namedState().get(name)!.dataSync(), variable.dataSync(), name);
    }
    const weightsOnly = `${dir}/weights.safetensors`;
    await writeSafetensors(weightsOnly, {
      tensors: new Map(),
      metadata: { format: "llmseg.weights/v1" },
    });
    await assert.rejects(loadTrainingCheckpoint(weightsOnly), /not an llmseg training checkpoint/);
    await assert.rejects(
      loadTrainingCheckpoint(`${dir}/missing.safetensors`),
      /missing\.safetensors: cannot read/,
    );
  } finally {
    tf.dispose([...buffer.values()]);
    net.dispose();
    other.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
