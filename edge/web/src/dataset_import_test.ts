import { deepEqual, equal } from "node:assert/strict";
import { allowedRoles, datasetSplits, filesToUpload, planImport } from "./dataset_import.ts";

const entries = (paths: string[]) => paths.map((path) => ({ path }));

Deno.test("planImport pairs MSD and nnU-Net names by case id and suggests roles", () => {
  const plan = planImport(entries([
    "Task04/dataset.json",
    "Task04/imagesTr/hip_001.nii.gz", // MSD: image and label share the name
    "Task04/labelsTr/hip_001.nii.gz",
    "Task04/imagesTr/hip_002_0000.nii.gz", // nnU-Net channel 0
    "Task04/imagesTr/hip_002_0001.nii.gz",
    "Task04/labelsTr/hip_002.nii.gz",
    "Task04/imagesTr/hip_003.nii.gz",
    "Task04/imagesTr/._hip_003.nii.gz", // macOS AppleDouble in MSD tarballs
    "Task04/imagesTs/hip_009.nii.gz",
    "Task04/labelsTs/hip_009.nii.gz",
    "Task04/imagesTs/hip_010.nii.gz",
  ]));
  deepEqual(plan.problems, []);
  deepEqual(
    plan.cases.map((c) => [c.origin, c.id, c.image?.path.split("/")[1], c.label?.path, c.role]),
    [
      ["Tr", "hip_001", "imagesTr", "Task04/labelsTr/hip_001.nii.gz", "labelled"],
      ["Tr", "hip_002", "imagesTr", "Task04/labelsTr/hip_002.nii.gz", "labelled"],
      ["Tr", "hip_003", "imagesTr", undefined, "unlabelled"],
      ["Ts", "hip_009", "imagesTs", "Task04/labelsTs/hip_009.nii.gz", "test"],
      ["Ts", "hip_010", "imagesTs", undefined, "left out"],
    ],
  );
  deepEqual(plan.skipped.map((s) => s.reason), [
    "not a scan",
    "channel 1: only _0000 is used",
    "hidden file",
  ]);
});

Deno.test("planImport refuses orphan labels, doubled images and a case in both folders", () => {
  const plan = planImport(entries([
    "t/labelsTr/a.nii.gz",
    "t/imagesTr/b.nii.gz",
    "t/imagesTr/b_0000.nii.gz",
    "t/imagesTr/c.nii.gz",
    "t/imagesTs/c.nii.gz",
  ]));
  deepEqual(plan.problems, [
    "case b has two images: t/imagesTr/b.nii.gz and t/imagesTr/b_0000.nii.gz",
    "t/labelsTr/a.nii.gz: a label without an image (case a)",
    "case c is in both the training and the test folders: it would leak",
  ]);
});

Deno.test("roles decide the uploads and the splits; a test-folder case never trains", () => {
  const plan = planImport(entries([
    "imagesTr/a.nii.gz",
    "labelsTr/a.nii.gz",
    "imagesTr/b.nii.gz",
    "labelsTr/b.nii.gz",
    "imagesTs/c.nii.gz",
    "labelsTs/c.nii.gz",
  ]));
  const [a, b, c] = plan.cases;
  deepEqual(allowedRoles(a), ["labelled", "test", "unlabelled", "left out"]);
  deepEqual(allowedRoles(c), ["test", "left out"]);
  b.role = "unlabelled";
  const uploads = filesToUpload(plan.cases);
  deepEqual(uploads.map((u) => `${u.role} ${u.entry.path}`), [
    "image imagesTr/a.nii.gz",
    "label labelsTr/a.nii.gz",
    "image imagesTr/b.nii.gz",
    "image imagesTs/c.nii.gz",
    "label labelsTs/c.nii.gz",
  ]);
  const splits = datasetSplits(plan.cases, (e) => `id:${e.path}`);
  deepEqual(splits, {
    labelled: [{ image: "id:imagesTr/a.nii.gz", label: "id:labelsTr/a.nii.gz" }],
    unlabelled: ["id:imagesTr/b.nii.gz"],
    test: [{ image: "id:imagesTs/c.nii.gz", label: "id:labelsTs/c.nii.gz" }],
  });
  equal(plan.skipped.length, 0);
});
