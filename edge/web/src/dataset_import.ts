/**
 * Reads an nnU-Net / Medical Segmentation Decathlon folder's file list into cases paired by id:
 * `imagesTr/<case>_0000.nii.gz` (nnU-Net) or `imagesTr/<case>.nii.gz` (MSD) is a case's image,
 * `labelsTr/<case>.nii.gz` its label; `imagesTs`/`labelsTs` hold test cases. A label and its image
 * share a file name in MSD, so the folder, not the name, says which is which.
 */
import type { ScanPair } from "../../../shared/contracts/datasets.ts";
import type { ScanRole } from "../../../shared/contracts/scans.ts";
import { scanExtensions } from "./upload_check.ts";

/** A file of the folder by its path inside it ("Task04_Hippocampus/imagesTr/x.nii.gz"). */
export interface FolderEntry {
  path: string;
}

/** Where a case goes: training with its label, training without, the test split, or nowhere. */
export type CaseRole = "labelled" | "unlabelled" | "test" | "left out";

/** One case of the folder: its image and label files and the role it is given. */
export interface ImportCase<T extends FolderEntry> {
  id: string;
  /** The folder pair it came from: `Tr` (training) or `Ts` (test). */
  origin: "Tr" | "Ts";
  image?: T;
  label?: T;
  role: CaseRole;
}

/** The folder read: its cases, the files left aside (and why), and what stops the import. */
export interface ImportPlan<T extends FolderEntry> {
  cases: ImportCase<T>[];
  skipped: { path: string; reason: string }[];
  problems: string[];
}

const folders = /^(images|labels)(Tr|Ts)$/;

/** The file name without its scan extension, or undefined when it is not a scan. */
function scanStem(name: string): string | undefined {
  const ext = scanExtensions.find((e) => name.toLowerCase().endsWith(e));
  return ext ? name.slice(0, -ext.length) : undefined;
}

/**
 * Pairs the folder's scans by case id and suggests roles: a training case with a label is
 * `labelled`, one without `unlabelled`; a test case with a label is `test`, one without is left
 * out (a test image must never train). Problems: a label with no image, two images of one case,
 * one case in both the training and the test folders.
 */
export function planImport<T extends FolderEntry>(entries: T[]): ImportPlan<T> {
  const skipped: ImportPlan<T>["skipped"] = [];
  const problems: string[] = [];
  const cases = new Map<string, ImportCase<T>>();
  for (const entry of entries) {
    const parts = entry.path.split("/");
    const name = parts.at(-1) ?? "";
    const folder = parts.at(-2)?.match(folders);
    const stem = scanStem(name);
    if (name.startsWith(".")) {
      skipped.push({ path: entry.path, reason: "hidden file" });
    } else if (stem === undefined) {
      skipped.push({ path: entry.path, reason: "not a scan" });
    } else if (!folder) {
      skipped.push({ path: entry.path, reason: "not in imagesTr, labelsTr, imagesTs or labelsTs" });
    } else {
      const [, kind, origin] = folder as unknown as [string, "images" | "labels", "Tr" | "Ts"];
      const channel = kind === "images" ? stem.match(/^(.+)_(\d{4})$/) : null;
      if (channel && channel[2] !== "0000") {
        skipped.push({
          path: entry.path,
          reason: `channel ${Number(channel[2])}: only _0000 is used`,
        });
        continue;
      }
      const id = channel ? channel[1] : stem;
      const key = `${origin}/${id}`;
      const found = cases.get(key) ?? { id, origin, role: "left out" as CaseRole };
      const slot = kind === "images" ? "image" : "label";
      if (found[slot]) {
        problems.push(`case ${id} has two ${slot}s: ${found[slot]!.path} and ${entry.path}`);
      }
      found[slot] = entry;
      cases.set(key, found);
    }
  }
  for (const c of cases.values()) {
    if (!c.image) problems.push(`${c.label!.path}: a label without an image (case ${c.id})`);
    if (c.origin === "Ts" && cases.has(`Tr/${c.id}`)) {
      problems.push(`case ${c.id} is in both the training and the test folders: it would leak`);
    }
    c.role = suggestedRole(c);
  }
  const sorted = [...cases.values()].sort((a, b) =>
    a.origin.localeCompare(b.origin) || a.id.localeCompare(b.id)
  );
  return { cases: sorted, skipped, problems };
}

function suggestedRole(c: ImportCase<FolderEntry>): CaseRole {
  if (!c.image) return "left out";
  if (c.origin === "Ts") return c.label ? "test" : "left out";
  return c.label ? "labelled" : "unlabelled";
}

/** The roles a case may take: labelled and test need its label; a test-folder case never trains. */
export function allowedRoles(c: ImportCase<FolderEntry>): CaseRole[] {
  if (!c.image) return ["left out"];
  const roles: CaseRole[] = c.origin === "Tr" ? ["unlabelled"] : [];
  if (c.label) roles.unshift(...(c.origin === "Tr" ? ["labelled" as const] : []), "test");
  return [...roles, "left out"];
}

/** The files to upload for the chosen roles, each with its scan role. */
export function filesToUpload<T extends FolderEntry>(
  cases: ImportCase<T>[],
): { entry: T; role: ScanRole }[] {
  return cases.flatMap((c) => {
    if (c.role === "left out" || !c.image) return [];
    const image = { entry: c.image, role: "image" as const };
    return c.role === "unlabelled" || !c.label
      ? [image]
      : [image, { entry: c.label, role: "label" as const }];
  });
}

/** The dataset's splits once every file is uploaded; `scanId` maps a path to its scan id. */
export function datasetSplits<T extends FolderEntry>(
  cases: ImportCase<T>[],
  scanId: (entry: T) => string,
): { labelled: ScanPair[]; unlabelled: string[]; test: ScanPair[] } {
  const pair = (c: ImportCase<T>): ScanPair => ({
    image: scanId(c.image!),
    label: scanId(c.label!),
  });
  return {
    labelled: cases.filter((c) => c.role === "labelled").map(pair),
    unlabelled: cases.filter((c) => c.role === "unlabelled").map((c) => scanId(c.image!)),
    test: cases.filter((c) => c.role === "test").map(pair),
  };
}
