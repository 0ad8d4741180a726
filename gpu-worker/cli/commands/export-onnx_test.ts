import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { loadModelFolder } from "../../checkpoint/model_folder.ts";
import { testManifest, writeTestModelFolder } from "../../checkpoint/testing.ts";
import { llmseg } from "../testing.ts";

await tf.setBackend("cpu");

Deno.test("export-onnx writes the pair's average, which onnxruntime runs as the loaded model", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeTestModelFolder(`${dir}/model`);
    const out = `${dir}/model.onnx`;
    const result = await llmseg(
      "export-onnx",
      "--model",
      `${dir}/model`,
      "--out",
      out,
      "--network",
      "average",
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /exported vnet network average/);
    const bytes = await Deno.readFile(out);
    const normalization = JSON.stringify(testManifest.preprocessing.normalization);
    assert.ok(new TextDecoder("latin1").decode(bytes).includes(normalization), normalization);

    const model = await loadModelFolder(`${dir}/model`);
    const x = tf.randomNormal([1, 16, 16, 32, 1], 0, 1, "float32", 9) as tf.Tensor5D;
    const want = tf.tidy(() => {
      const [a, b] = ["a", "b"].map((m) =>
        tf.softmax(model.networks.get(m as "a")!.apply(x, { training: false }))
      );
      return tf.transpose(tf.div(tf.add(a, b), 2), [0, 4, 1, 2, 3]).dataSync() as Float32Array;
    });
    const nchw = tf.transpose(x, [0, 4, 1, 2, 3]);
    const session = await ort.InferenceSession.create(bytes);
    const image = new ort.Tensor("float32", nchw.dataSync() as Float32Array, nchw.shape);
    const got = (await session.run({ image })).probabilities.data as Float32Array;
    await session.release();
    tf.dispose([x, nchw]);
    model.dispose();
    const worst = got.reduce((w, v, i) => Math.max(w, Math.abs(v - want[i])), 0);
    assert.ok(worst < 1e-5, `max |onnx − tfjs| = ${worst}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export-onnx refuses a missing model, a wrong name, and B of a one-network model", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const missing = await llmseg("export-onnx", "--model", `${dir}/none`, "--out", `${dir}/m.onnx`);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /none\/model\.json: cannot read \(missing\)/);

    await writeTestModelFolder(`${dir}/model`);
    const name = await llmseg("export-onnx", "--model", `${dir}/model`, "--out", `${dir}/m.bin`);
    assert.equal(name.code, 2);
    assert.match(name.stderr, /must end in \.onnx/);

    const single = JSON.parse(await Deno.readTextFile(`${dir}/model/model.json`));
    single.members = ["a"];
    await Deno.writeTextFile(`${dir}/model/model.json`, JSON.stringify(single));
    const noB = await llmseg(
      "export-onnx",
      "--model",
      `${dir}/model`,
      "--out",
      `${dir}/b.onnx`,
      "--network",
      "b",
    );
    assert.equal(noB.code, 2);
    assert.match(noB.stderr, /no network b to export/);
    const noFolder = await llmseg(
      "export-onnx",
      "--model",
      `${dir}/model`,
      "--out",
      `${dir}/nowhere/a.onnx`,
    );
    assert.match(noFolder.stderr, /folder does not exist/);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["model"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
