import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "@llmseg/shared";
import {
  listCases,
  loadCase,
  normalizeImage,
  TASK_NORMALIZATION,
  writeSyntheticDataset,
} from "../../shared/dataset/mod.ts";
import { readVolume, writeVolume } from "../../shared/volume/mod.ts";
import { loadModelFolder } from "../checkpoint/model_folder.ts";
import { train } from "../training/mod.ts";
import { sampleFromVolumes, toVolumeLayout } from "../transforms/mod.ts";
import { inferVolume, preprocessForModel, segment } from "./mod.ts";

await tf.setBackend("cpu");

/**
 * Rewrites a synthetic dataset's images to look like skull-stripped MRI: 0 outside a ball (the
 * "brain"), positive intensities inside, a few very bright voxels (what BraTS's 99.9 % clip is for).
 */
async function makeBratsLike(root: string, seed: number): Promise<void> {
  const rng = new Rng(seed);
  for await (const entry of Deno.readDir(join(root, "imagesTr"))) {
    const path = join(root, "imagesTr", entry.name);
    const image = await readVolume(path);
    const [X, Y, Z] = image.shape;
    const data = new Float32Array(image.data.length);
    for (let k = 0, v = 0; k < Z; k++) {
      for (let j = 0; j < Y; j++) {
        for (let i = 0; i < X; i++, v++) {
          const r2 = ((i - X / 2) / (0.45 * X)) ** 2 + ((j - Y / 2) / (0.45 * Y)) ** 2 +
            ((k - Z / 2) / (0.45 * Z)) ** 2;
          if (r2 > 1) continue;
          data[v] = 400 + 100 * image.data[v] + (rng.uniform() < 0.002 ? 20000 : 0);
        }
      }
    }
    await writeVolume(path, { ...image, data }, { datatype: "float32" });
  }
}

Deno.test("a model trained on BraTS-like data normalises at inference exactly as in training", async () => {
  const root = await Deno.makeTempDir(), out = await Deno.makeTempDir();
  try {
    await writeSyntheticDataset(root, { cases: 3, shape: [20, 18, 16], seed: 5 });
    await makeBratsLike(root, 5);
    await train({
      preset: "brats",
      data: root,
      out,
      overrides: {
        nFilters: 2,
        patch: [16, 16, 16],
        labeledCount: 2,
        mode: "supervised",
        maxIterations: 2,
        validateEvery: 0,
        checkpointEvery: 2,
      },
    });
    const model = await loadModelFolder(out);
    const { manifest } = model;
    assert.deepEqual(manifest.preprocessing.normalization, TASK_NORMALIZATION.brats);

    // What training fed the network: the dataset loader's normalised case.
    const [entry] = await listCases({ layout: "nnunet", root });
    const trained = await loadCase(entry, {
      normalization: TASK_NORMALIZATION.brats,
      binarizeLabel: true,
    });
    const raw = await readVolume(entry.images[0]);
    const atInference = preprocessForModel(raw, manifest);
    assert.deepEqual(atInference.data, trained.image.data);
    assert.ok(atInference.data.every((v, i) => raw.data[i] !== 0 || v === 0), "background stays 0");
    // The old whole-volume z-score (all a `zscore` flag could say) differs: the check has teeth.
    assert.notDeepEqual(normalizeImage(raw, { zscore: "all" }).data, trained.image.data);

    // inferVolume segments the raw scan exactly as the network sees the training-normalised one.
    const inferred = await inferVolume(out, raw, { probabilities: true });
    const direct = await segment(
      sampleFromVolumes(trained.image),
      model.networks.get("a")!,
      undefined,
      {
        patch: manifest.patch,
        stride: manifest.stride,
        network: "a",
        largestComponent: false,
        uncertainty: false,
      },
    );
    model.dispose();
    const expected = new Float32Array(raw.data.length);
    toVolumeLayout(direct.foreground, raw.shape, 1, expected);
    assert.deepEqual(inferred.probabilities!.data, expected);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});
