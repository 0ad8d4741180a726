import assert from "node:assert/strict";
import { join } from "node:path";
import { readVolume, spacingAffine, writeVolume } from "../../../shared/volume/mod.ts";
import { writeDicomSeries } from "../../../shared/volume/dicom_write.ts";
import { Rng } from "@llmseg/shared";
import { knowledgeVectorFor, writeKnowledgeRecord } from "../../../shared/knowledge/mod.ts";
import { llmsegInProcess } from "../testing.ts";

/** What the last {@link llmseg} call wrote to stderr. */
let stderr = "";

/** Runs the CLI in-process, keeping its stderr; resolves to the exit code. */
async function llmseg(...argv: string[]): Promise<number> {
  const run = await llmsegInProcess(...argv);
  stderr = run.stderr;
  return run.code;
}

Deno.test("llmseg train --preset smoke trains, resumes, and llmseg infer writes masks in the input's geometry", async () => {
  const dir = await Deno.makeTempDir();
  const model = join(dir, "model");
  assert.equal(await llmseg("train", "--preset", "smoke", "--out", model, "--iterations", "2"), 0);
  const manifest = JSON.parse(await Deno.readTextFile(join(model, "model.json")));
  assert.deepEqual(manifest.members, ["a", "b"]);
  assert.equal(manifest.origin.iteration, 2);
  assert.equal(await llmseg("train", "--preset", "smoke", "--out", model, "--resume"), 0);
  // A second run into the same folder without --resume would silently replace the first.
  assert.equal(await llmseg("train", "--preset", "smoke", "--out", model), 2);

  const rng = new Rng(3);
  const scan = join(dir, "scan.nii.gz");
  await writeVolume(scan, {
    shape: [20, 14, 17],
    channels: 1,
    data: Float32Array.from({ length: 20 * 14 * 17 }, () => rng.normal()),
    spacing: [0.8, 1, 1.5],
    affine: spacingAffine([0.8, 1, 1.5]),
  });
  const [mask, probabilities, uncertainty] = ["mask.nii.gz", "p.nii.gz", "u.nii"].map((f) =>
    join(dir, f)
  );
  const code = await llmseg(
    "infer",
    "--model",
    model,
    "--input",
    scan,
    "--output",
    mask,
    "--probabilities",
    probabilities,
    "--uncertainty",
    uncertainty,
    "--stride",
    "8,8,8",
  );
  assert.equal(code, 0);
  const input = await readVolume(scan);
  for (const path of [mask, probabilities, uncertainty]) {
    const out = await readVolume(path);
    assert.deepEqual(out.shape, input.shape);
    assert.deepEqual(out.affine, input.affine);
  }
  assert.ok((await readVolume(mask)).data instanceof Uint8Array);
  assert.ok((await readVolume(probabilities)).data instanceof Float32Array);

  // A DICOM series in, a DICOM SEG out on the series' grid.
  const series = join(dir, "series");
  await writeDicomSeries(series, { ...input, data: input.data.map((v) => Math.round(100 * v)) });
  const seg = join(dir, "seg.dcm");
  assert.equal(await llmseg("infer", "-m", model, "--input", series, "--output", seg), 0, stderr);
  const segMask = await readVolume(seg);
  assert.deepEqual(segMask.shape, input.shape);
  assert.deepEqual(segMask.affine, (await readVolume(series)).affine);
  assert.ok(segMask.data.every((v) => v === 0 || v === 1));
  // A SEG needs the series it references: refused before inference for a NIfTI input.
  assert.equal(await llmseg("infer", "-m", model, "--input", scan, "--output", seg + "2.dcm"), 2);
  assert.match(stderr, /DICOM SEG references the series/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("llmseg train and infer refuse bad options and inputs with exit code 2", async () => {
  const dir = await Deno.makeTempDir();
  assert.equal(await llmseg("train", "--preset", "nope", "--out", dir), 2);
  assert.equal(await llmseg("train", "--preset", "smoke", "--out", dir, "--unsup-loss", "l1"), 2);
  assert.equal(await llmseg("train", "--preset", "smoke", "--out", dir, "--patch", "16,16,12"), 2);
  assert.equal(await llmseg("train", "--preset", "smoke", "--out", dir, "--resume"), 2);
  assert.equal(
    await llmseg("train", "--preset", "smoke", "--out", dir, "--resume", "--beta", "0"),
    2,
  );
  assert.equal(
    await llmseg("infer", "--model", dir, "--input", "x.nii.gz", "--output", "m.png"),
    2,
  );
  assert.equal(
    await llmseg(
      "infer",
      "--model",
      dir,
      "--input",
      join(dir, "missing.nii.gz"),
      "--output",
      join(dir, "m.nii.gz"),
    ),
    2,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("llmseg train --descriptors names the set, --knowledge takes a record, not both", async () => {
  const dir = await Deno.makeTempDir();
  const quick = ["--preset", "smoke", "--iterations", "1", "--validate-every", "0"];
  const storedSet = async (model: string): Promise<{ descriptorSetId: string; hash: string }> =>
    JSON.parse(await Deno.readTextFile(join(model, "model.json"))).knowledge;
  try {
    const named = join(dir, "named");
    assert.equal(await llmseg("train", ...quick, "--out", named, "--descriptors", "brats"), 0);
    assert.equal((await storedSet(named)).descriptorSetId, "brats");

    const record = join(dir, "pancreas.knowledge.json");
    const pancreas = await knowledgeVectorFor("pancreas");
    await writeKnowledgeRecord(record, pancreas);
    const given = join(dir, "given");
    assert.equal(await llmseg("train", ...quick, "--out", given, "--knowledge", record), 0);
    assert.equal((await storedSet(given)).hash, pancreas.hash);

    const out = join(dir, "refused");
    assert.equal(
      await llmseg("train", ...quick, "--out", out, "--descriptors", "la", "--knowledge", record),
      2,
    );
    assert.match(stderr, /--descriptors and --knowledge both name the knowledge vector/);
    assert.equal(await llmseg("train", ...quick, "--out", out, "--descriptors", "no-such-set"), 2);
    assert.match(stderr, /no-such-set/);
    assert.equal(
      await llmseg("train", ...quick, "--out", out, "--knowledge", join(dir, "missing.json")),
      2,
    );
    assert.match(stderr, /--knowledge .*missing\.json: no such file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
