import assert from "node:assert/strict";
import { UserError } from "../errors.ts";
import { sharedData, sharedDataPath } from "../testing/data.ts";
import { readVolume } from "../volume/mod.ts";
import { listCases } from "./cases.ts";
import { parseDatasetDescription, SplitSpec, TASK_NORMALIZATION } from "./description.ts";
import { openDataset } from "./open.ts";
import { loadCase } from "./load.ts";
import { splitCases } from "./split.ts";
import { writeSyntheticDataset } from "./synthetic.ts";

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "llmseg-dataset-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function userError(pattern: RegExp): (e: unknown) => boolean {
  return (e) => e instanceof UserError && pattern.test(e.message);
}

Deno.test("a synthetic dataset lists, splits and loads as an nnU-Net dataset", async () => {
  await withTempDir(async (dir) => {
    const ids = await writeSyntheticDataset(dir, { cases: 3, shape: [16, 12, 10], seed: 3 });
    assert.deepEqual(ids, ["synth_000", "synth_001", "synth_002"]);
    const cases = await listCases({ layout: "nnunet", root: dir });
    assert.deepEqual(cases.map((c) => c.id), ids);
    assert.deepEqual(cases[1].images, [`${dir}/imagesTr/synth_001_0000.nii.gz`]);
    assert.equal(cases[1].label, `${dir}/labelsTr/synth_001.nii.gz`);
    const split = splitCases(cases, SplitSpec.parse({ labelled: 1, test: 1 }));
    const loaded = await loadCase(split.labelled[0], {
      normalization: { zscore: "all" },
      binarizeLabel: false,
    });
    assert.deepEqual(loaded.image.shape, [16, 12, 10]);
    const organ = loaded.label!.data.reduce((s, x) => s + x, 0);
    assert.ok(organ > 20 && organ < 16 * 12 * 10 / 2, `organ of ${organ} voxels`);
    // The organ is brighter than the background after normalisation too.
    let inside = 0, outside = 0;
    loaded.image.data.forEach((x, v) => (loaded.label!.data[v] ? (inside += x) : (outside += x)));
    assert.ok(inside / organ > outside / (1920 - organ) + 1);
  });
});

Deno.test("the synthetic dataset is reproducible from its seed, and cases differ", async () => {
  await withTempDir(async (dir) => {
    await writeSyntheticDataset(`${dir}/a`, { cases: 2, shape: [8, 8, 8], seed: 9 });
    await writeSyntheticDataset(`${dir}/b`, { cases: 2, shape: [8, 8, 8], seed: 9 });
    const read = async (path: string) => (await readVolume(path)).data;
    assert.deepEqual(
      await read(`${dir}/a/imagesTr/synth_001_0000.nii.gz`),
      await read(`${dir}/b/imagesTr/synth_001_0000.nii.gz`),
    );
    assert.notDeepEqual(
      await read(`${dir}/a/labelsTr/synth_000.nii.gz`),
      await read(`${dir}/a/labelsTr/synth_001.nii.gz`),
    );
    const json = JSON.parse(await Deno.readTextFile(`${dir}/a/dataset.json`));
    assert.equal(json.numTraining, 2);
  });
});

Deno.test("nnU-Net listing refuses missing channels and stray file names", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/imagesTr`);
    await Deno.mkdir(`${dir}/labelsTr`);
    for (const name of ["a_0000.nii.gz", "a_0001.nii.gz", "b_0000.nii.gz"]) {
      await Deno.writeFile(`${dir}/imagesTr/${name}`, new Uint8Array());
    }
    await assert.rejects(
      listCases({ layout: "nnunet", root: dir }),
      userError(/imagesTr: case b has channels 0; expected 0\.\.1/),
    );
    await Deno.writeFile(`${dir}/imagesTr/b_0001.nii.gz`, new Uint8Array());
    await Deno.writeTextFile(`${dir}/dataset.json`, '{"channel_names": {"0": "T1"}}');
    await assert.rejects(
      listCases({ layout: "nnunet", root: dir }),
      userError(/case a has channels 0, 1; expected 0\.\.0/),
    );
    await Deno.remove(`${dir}/dataset.json`);
    await Deno.writeFile(`${dir}/imagesTr/notes.txt`, new Uint8Array());
    await assert.rejects(
      listCases({ layout: "nnunet", root: dir }),
      userError(/imagesTr\/notes\.txt: not a NIfTI file/),
    );
    // Without channel suffixes on every file, each file is one case (the Decathlon layout).
    await Deno.remove(`${dir}/imagesTr/notes.txt`);
    await Deno.writeFile(`${dir}/imagesTr/c.nii`, new Uint8Array());
    await Deno.writeFile(`${dir}/labelsTr/c.nii`, new Uint8Array());
    // dataset.json's channel count does not apply to Decathlon files (their channels are inside).
    await Deno.writeTextFile(
      `${dir}/dataset.json`,
      JSON.stringify({ channel_names: { "0": "FLAIR", "1": "T1w", "2": "T1gd", "3": "T2w" } }),
    );
    const decathlon = await listCases({ layout: "nnunet", root: dir });
    assert.deepEqual(decathlon.map((c) => c.id), ["a_0000", "a_0001", "b_0000", "b_0001", "c"]);
    assert.deepEqual(decathlon[4], {
      id: "c",
      images: [`${dir}/imagesTr/c.nii`],
      label: `${dir}/labelsTr/c.nii`,
      heldOut: false,
    });
    await assert.rejects(
      listCases({ layout: "nnunet", root: `${dir}/nowhere` }),
      userError(/no imagesTr\/ folder/),
    );
  });
});

Deno.test("h5 lists: missing files, duplicate ids and lists overlapping are named", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/train.list`, "x1\nx2\n\n");
    await assert.rejects(
      listCases({ layout: "h5-list", root: dir, list: "train.list", file: "{id}.h5" }),
      userError(/2 listed case file\(s\) missing: .*x1\.h5, .*x2\.h5/),
    );
    await Deno.writeTextFile(`${dir}/dup.list`, "x1\nx1\n");
    await assert.rejects(
      listCases({ layout: "h5-list", root: dir, list: "dup.list", file: "{id}.h5" }),
      userError(/dup\.list: case x1 is listed twice/),
    );
    await Deno.writeTextFile(`${dir}/test.list`, "x2\n");
    await assert.rejects(
      listCases({
        layout: "h5-list",
        root: dir,
        list: "train.list",
        testList: "test.list",
        file: "{id}.h5",
      }),
      userError(/x2 listed in both train\.list and test\.list/),
    );
  });
});

Deno.test("a dataset description is validated field by field", () => {
  const parsed = parseDatasetDescription(
    { source: { layout: "h5-list", root: "/data/la" }, split: { labelled: 8 } },
    "la.json",
  );
  assert.equal(parsed.source.layout === "h5-list" && parsed.source.file, "{id}/mri_norm2.h5");
  assert.equal(parsed.split.unlabelled, "rest");
  assert.deepEqual(parsed.normalization, { zscore: "all" });
  assert.throws(
    () =>
      parseDatasetDescription(
        { source: { layout: "folders", root: "x" }, split: { labelled: -1 } },
        "bad.json",
      ),
    userError(
      /bad\.json: invalid dataset description\n {2}source\.layout: .*\n {2}split\.labelled/,
    ),
  );
});

Deno.test({
  name: "the real data sets list lazily in both layouts and load one case each",
  ignore: !sharedData,
  async fn() {
    const la = await listCases({
      layout: "h5-list",
      root: sharedDataPath("la2018"),
      list: "cases.list",
      file: "{id}/mri_norm2.h5",
    });
    assert.equal(la.length, 16);
    const laSplit = splitCases(la, SplitSpec.parse({ labelled: 4, test: 4 }));
    assert.equal(laSplit.labelled[0].id, "06SR5RBREL16DQ6M8LWS", "first id of cases.list");
    // Expected values from h5py: image shape (183, 140, 88), label sum 154296.
    const laCase = await loadCase(laSplit.labelled[0], {
      normalization: { zscore: "none" },
      binarizeLabel: false,
    });
    assert.deepEqual(laCase.image.shape, [183, 140, 88]);
    assert.equal(laCase.label!.data.reduce((s, x) => s + x, 0), 154296);

    const brats = await listCases({ layout: "nnunet", root: sharedDataPath("brats2018") });
    assert.equal(brats.length, 6);
    assert.ok(brats.every((c) => c.images.length === 2 && c.label !== undefined));

    const hippocampus = await listCases({ layout: "nnunet", root: sharedDataPath("hippocampus") });
    assert.equal(hippocampus.length, 174);
    // Expected from nibabel: hippocampus_001 label (35, 51, 35), 2948 voxels > 0.
    const hip = await loadCase(hippocampus[0], {
      normalization: { zscore: "all" },
      binarizeLabel: true,
    });
    assert.equal(hip.id, "hippocampus_001");
    assert.deepEqual(hip.label!.shape, [35, 51, 35]);
    assert.equal(hip.label!.data.reduce((s, x) => s + x, 0), 2948);
  },
});

Deno.test({
  name: "openDataset splits the LA list like the lineage and records the h5 spacing",
  ignore: !sharedData,
  async fn() {
    const dataset = await openDataset(parseDatasetDescription({
      source: {
        layout: "h5-list",
        root: sharedDataPath("la2018"),
        list: "cases.list",
        spacing: [0.625, 0.625, 0.625],
      },
      split: { labelled: 4, test: 4 },
      normalization: TASK_NORMALIZATION.la,
    }, "la"));
    const listed = (await Deno.readTextFile(sharedDataPath("la2018/cases.list"))).trim().split(
      "\n",
    );
    assert.deepEqual(dataset.split.labelled.map((c) => c.id), listed.slice(0, 4));
    assert.deepEqual(dataset.split.test.map((c) => c.id), listed.slice(12));
    assert.equal(dataset.split.unlabelled.length, 8);
    const first = await dataset.load(dataset.split.test[0]);
    assert.deepEqual(first.image.spacing, [0.625, 0.625, 0.625]);
    assert.deepEqual(first.label!.spacing, [0.625, 0.625, 0.625]);
  },
});
