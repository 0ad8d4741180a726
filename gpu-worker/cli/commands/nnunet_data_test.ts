/**
 * nnU-Net datasets end to end on the real scans (skipped without ../shared/data): BraTS's two
 * channels through training and inference (single scan and whole folder), the hippocampus's three
 * classes (refused, merged on request, or trained from dataset.json), resampling to the training
 * spacing, label maps refused as input, and model folders written before the dataset record.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readVolume, resampleToSpacing, writeVolume } from "../../../shared/volume/mod.ts";
import { sharedData, sharedDataPath } from "../../../shared/testing/data.ts";
import { llmsegInProcess as llmseg } from "../testing.ts";

const tiny = [
  "--iterations",
  "2",
  "--width",
  "2",
  "--patch",
  "16,16,16",
  "--supervised-only",
  "--beta",
  "0",
  "--checkpoint-every",
  "2",
];

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "llmseg-nnunet-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A small nnU-Net folder of hippocampus cases (symlinks), with `dataset.json` if given. */
async function hippocampusSubset(dir: string, ids: string[], datasetJson?: unknown) {
  await Deno.mkdir(join(dir, "imagesTr"), { recursive: true });
  await Deno.mkdir(join(dir, "labelsTr"));
  for (const id of ids) {
    const name = `hippocampus_${id}`;
    await Deno.symlink(
      sharedDataPath(`hippocampus/imagesTr/${name}.nii.gz`),
      join(dir, "imagesTr", `${name}_0000.nii.gz`),
    );
    await Deno.symlink(
      sharedDataPath(`hippocampus/labelsTr/${name}.nii.gz`),
      join(dir, "labelsTr", `${name}.nii.gz`),
    );
  }
  if (datasetJson) await Deno.writeTextFile(join(dir, "dataset.json"), JSON.stringify(datasetJson));
}

Deno.test({
  name: "BraTS two-channel training takes the channels from the file names; infer reads _0000.. " +
    "and whole folders",
  ignore: !sharedData,
  async fn() {
    await withTempDir(async (dir) => {
      const model = join(dir, "model");
      const trained = await llmseg(
        "train",
        "--preset",
        "brats",
        "--data",
        sharedDataPath("brats2018"),
        "--out",
        model,
        "--labeled",
        "2",
        "--validation-cases",
        "1",
        "--validate-every",
        "0",
        ...tiny,
      );
      assert.equal(trained.code, 0, trained.stderr);
      assert.match(trained.stderr, /2 input channels from the file names/);
      const manifest = JSON.parse(await Deno.readTextFile(join(model, "model.json")));
      assert.equal(manifest.network.inChannels, 2);
      assert.deepEqual(manifest.dataset.spacing, [1, 1, 1]);
      assert.equal(manifest.dataset.intensity.length, 2, "statistics per channel");
      assert.ok(manifest.dataset.intensity[0].p99_5 > manifest.dataset.intensity[0].p00_5);
      assert.deepEqual(manifest.dataset.split.labelled, ["brats_000", "brats_001"]);
      assert.deepEqual(manifest.dataset.split.validation, ["brats_005"]);
      assert.match(manifest.toolVersion, /^llmseg \d/);

      // One scan: _0000 alone brings _0001 from beside it; both given explicitly is the same.
      const flair = sharedDataPath("brats2018/imagesTr/brats_005_0000.nii.gz");
      const t1 = sharedDataPath("brats2018/imagesTr/brats_005_0001.nii.gz");
      const single = await llmseg(
        "infer",
        "-m",
        model,
        "--input",
        flair,
        "--output",
        `${dir}/a.nii.gz`,
      );
      assert.equal(single.code, 0, single.stderr);
      const both = await llmseg(
        "infer",
        "-m",
        model,
        "--input",
        flair,
        "--input",
        t1,
        "--output",
        `${dir}/b.nii.gz`,
      );
      assert.equal(both.code, 0, both.stderr);
      const [a, b] = [await readVolume(`${dir}/a.nii.gz`), await readVolume(`${dir}/b.nii.gz`)];
      assert.deepEqual(a.shape, [240, 240, 155]);
      assert.deepEqual(a.data, b.data);
      const oneChannel = await llmseg(
        "infer",
        "-m",
        model,
        "--input",
        t1,
        "--output",
        `${dir}/c.nii.gz`,
      );
      assert.equal(oneChannel.code, 2);
      assert.match(oneChannel.stderr, /1 channel\(s\), but the model takes 2: give one --input/);

      // A folder: outputs named by case, progress per case.
      const scans = join(dir, "scans");
      await Deno.mkdir(scans);
      await Deno.symlink(flair, join(scans, "brats_005_0000.nii.gz"));
      await Deno.symlink(t1, join(scans, "brats_005_0001.nii.gz"));
      const folder = await llmseg("infer", "-m", model, "-i", scans, "-o", join(dir, "masks"));
      assert.equal(folder.code, 0, folder.stderr);
      assert.match(folder.stderr, /\[1\/1\] brats_005 \(brats_005_0000\.nii\.gz \+ brats_005_0001/);
      const fromFolder = await readVolume(join(dir, "masks", "brats_005.nii.gz"));
      assert.deepEqual(fromFolder.data, a.data);
    });
  },
});

Deno.test({
  name: "hippocampus labels 0/1/2: refused for 2 classes, merged with --merge-labels, 3 classes " +
    "from dataset.json",
  ignore: !sharedData,
  async fn() {
    await withTempDir(async (dir) => {
      const ids = ["001", "003", "004", "006"];
      const plain = join(dir, "plain");
      await hippocampusSubset(plain, ids);
      const common = ["--preset", "hippocampus", "--labeled", "2", "--validation-cases", "1"];
      const refused = await llmseg(
        "train",
        ...common,
        "--data",
        plain,
        "--out",
        join(dir, "m0"),
        ...tiny,
      );
      assert.equal(refused.code, 2);
      assert.match(
        refused.stderr,
        /holds label value\(s\) 2, but the model has 2 classes \(0\.\.1\); .*--classes 3.*--merge-labels/,
      );
      const merged = await llmseg(
        "train",
        ...common,
        "--data",
        plain,
        "--out",
        join(dir, "m1"),
        "--merge-labels",
        ...tiny,
      );
      assert.equal(merged.code, 0, merged.stderr);
      assert.match(merged.stderr, /--merge-labels: every non-zero label value .*one foreground/);

      const described = join(dir, "described");
      await hippocampusSubset(described, ids, {
        channel_names: { "0": "MRI" },
        labels: { background: 0, anterior: 1, posterior: 2 },
        file_ending: ".nii.gz",
      });
      const model = join(dir, "m3");
      const three = await llmseg(
        "train",
        ...common,
        "--data",
        described,
        "--out",
        model,
        "--validate-every",
        "2",
        ...tiny,
      );
      assert.equal(three.code, 0, three.stderr);
      assert.match(
        three.stderr,
        /3 classes from dataset\.json: 0 background, 1 anterior, 2 posterior/,
      );
      const manifest = JSON.parse(await Deno.readTextFile(join(model, "model.json")));
      assert.equal(manifest.network.classes, 3);
      assert.deepEqual(manifest.dataset.labels, { background: 0, anterior: 1, posterior: 2 });
      assert.deepEqual(manifest.dataset.channelNames, ["MRI"]);
      const validation = (await Deno.readTextFile(join(model, "train.jsonl"))).split("\n")
        .filter((line) => line.includes('"validation"')).map((line) => JSON.parse(line));
      assert.ok(validation.length > 0 && Number.isFinite(validation[0].dice));
      const mask = join(dir, "mask.nii.gz");
      const input = sharedDataPath("hippocampus/imagesTr/hippocampus_006.nii.gz");
      const inferred = await llmseg("infer", "-m", model, "--input", input, "--output", mask);
      assert.equal(inferred.code, 0, inferred.stderr);
      const values = new Set((await readVolume(mask)).data);
      assert.ok([...values].every((v) => v >= 0 && v <= 2), `mask values ${[...values]}`);

      // dataset.json contradicting the flags is refused.
      const wrong = await llmseg(
        "train",
        ...common,
        "--data",
        described,
        "--out",
        join(dir, "m4"),
        "--classes",
        "4",
        ...tiny,
      );
      assert.equal(wrong.code, 2);
      assert.match(wrong.stderr, /dataset\.json names 3 classes .* the model has 4/);

      // A label map given as the scan is refused.
      const label = sharedDataPath("hippocampus/labelsTr/hippocampus_006.nii.gz");
      const asInput = await llmseg("infer", "-m", model, "--input", label, "--output", mask);
      assert.equal(asInput.code, 2);
      assert.match(asInput.stderr, /holds only the values 0, 1, 2; this looks like a label map/);

      // Another spacing: resampled to the training spacing and back, with a warning.
      const scan = await readVolume(input);
      const coarse = resampleToSpacing(scan, [1, 1, 2.5], "linear");
      await writeVolume(join(dir, "coarse.nii.gz"), coarse, { datatype: "float32" });
      const resampled = await llmseg(
        "infer",
        "-m",
        model,
        "--input",
        join(dir, "coarse.nii.gz"),
        "--output",
        join(dir, "coarse-mask.nii.gz"),
      );
      assert.equal(resampled.code, 0, resampled.stderr);
      assert.match(
        resampled.stderr,
        /warning: .*spacing 1x1x2\.5 mm is unlike the training data's 1x1x1/,
      );
      assert.match(resampled.stderr, /resampled 1x1x2\.5 mm to the model's 1x1x1 mm and back/);
      const coarseMask = await readVolume(join(dir, "coarse-mask.nii.gz"));
      assert.deepEqual(coarseMask.shape, coarse.shape);
      assert.deepEqual(coarseMask.affine, coarse.affine);

      // A model folder written before the dataset record still loads and infers.
      const old = { ...manifest };
      delete old.dataset;
      delete old.toolVersion;
      await Deno.writeTextFile(join(model, "model.json"), JSON.stringify(old));
      const legacy = await llmseg("infer", "-m", model, "--input", input, "--output", mask);
      assert.equal(legacy.code, 0, legacy.stderr);
      assert.doesNotMatch(legacy.stderr, /resampled/);
    });
  },
});
