import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { loadModelFolder } from "../../checkpoint/model_folder.ts";
import { readSafetensors, toFloat32 } from "../../checkpoint/safetensors.ts";
import { llmseg } from "../testing.ts";

await tf.setBackend("cpu");

const fixtures = new URL("../../../tests/fixtures/parity/", import.meta.url).pathname;

Deno.test("import-weights writes a model folder whose network reproduces PyTorch's output", async () => {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/model`;
  try {
    const weights = `${fixtures}vnet_weights.safetensors`;
    const result = await llmseg(
      "import-weights",
      "--from",
      weights,
      "--arch",
      "vnet",
      "--out",
      out,
    );
    assert.equal(result.code, 0, result.stderr);
    const model = await loadModelFolder(out, { expectArch: "vnet" });
    assert.deepEqual(model.manifest.members, ["a"]);
    assert.deepEqual(model.manifest.stride, [18, 18, 4]);
    const io = await readSafetensors(`${fixtures}io.safetensors`);
    const tensor = (name: string): tf.Tensor5D => {
      const entry = io.tensors.get(name)!;
      const ncdhw: tf.Tensor = tf.tensor(toFloat32(entry), entry.shape);
      return tf.transpose(ncdhw, [0, 2, 3, 4, 1]) as tf.Tensor5D;
    };
    const logits = model.networks.get("a")!.apply(tensor("input"), { training: false });
    assert.ok(tf.max(tf.abs(tf.sub(logits, tensor("vnet_eval")))).dataSync()[0] < 1e-4);
    model.dispose();

    const again = await llmseg("import-weights", "--from", weights, "--arch", "vnet", "--out", out);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists and is not empty/);
    const wrong = await llmseg(
      "import-weights",
      "--from",
      weights,
      "--arch",
      "unet3d",
      "--out",
      `${dir}/u`,
    );
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /not a PyTorch unet3d state dict/);
    const missing = await llmseg(
      "import-weights",
      "--from",
      `${dir}/none.safetensors`,
      "--arch",
      "vnet",
      "--out",
      `${dir}/m`,
    );
    assert.match(missing.stderr, /none\.safetensors: cannot read/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
