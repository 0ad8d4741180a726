/**
 * The structural checks of a new dataset, before any voxel is read: every scan is in its uploaded
 * role, no scan sits in two places (an image as its own label, a case both labelled and test), and
 * no file was uploaded twice under two ids into two places (a training case leaking into the test
 * split). Each refusal names the scans and the places.
 */
import type { DatasetCreate } from "../../shared/contracts/datasets.ts";
import type { Scan, ScanRole } from "../../shared/contracts/scans.ts";
import { UserError } from "../../shared/errors.ts";

/** One use of a scan in a dataset: where it is and what it is used as. */
export interface ScanUse {
  scanId: string;
  role: ScanRole;
  /** For people: "labelled pair 2 image", "unlabelled scan 1", "test pair 1 label". */
  place: string;
}

/** Every scan the request names, in order, with its place and role. */
export function scanUses(
  input: Pick<DatasetCreate, "labelled" | "unlabelled" | "test">,
): ScanUse[] {
  const pairs = (split: string, list: DatasetCreate["labelled"]): ScanUse[] =>
    list.flatMap((pair, i) => [
      { scanId: pair.image, role: "image" as const, place: `${split} pair ${i + 1} image` },
      { scanId: pair.label, role: "label" as const, place: `${split} pair ${i + 1} label` },
    ]);
  return [
    ...pairs("labelled", input.labelled),
    ...input.unlabelled.map((scanId, i) => ({
      scanId,
      role: "image" as const,
      place: `unlabelled scan ${i + 1}`,
    })),
    ...pairs("test", input.test),
  ];
}

function invalid(message: string): UserError {
  return new UserError("invalid_dataset", message);
}

/**
 * Throws `invalid_dataset` (422) for the first problem found, else returns. `scans` holds every
 * scan `uses` names (already checked to be the tenant's own).
 */
export function checkSplits(uses: ScanUse[], scans: Map<string, Scan>): void {
  const describe = (id: string): string => `scan ${id} (${scans.get(id)?.name ?? "?"})`;
  const firstUse = new Map<string, ScanUse>();
  for (const use of uses) {
    const scan = scans.get(use.scanId);
    if (scan?.role && scan.role !== use.role) {
      throw invalid(
        `${describe(use.scanId)} was uploaded as ${article(scan.role)} but is the ${use.place}; ` +
          "are the image and the label swapped?",
      );
    }
    const earlier = firstUse.get(use.scanId);
    if (earlier) {
      throw invalid(
        `${describe(use.scanId)} is used twice, as the ${earlier.place} and as the ${use.place}; ` +
          "a scan belongs to one case in one split",
      );
    }
    firstUse.set(use.scanId, use);
  }
  // The same file under two ids: a case in two splits (or twice in one) leaks or counts double.
  // Two identical labels are left alone: blank labels of same-shaped cases are byte-identical.
  const bySha = new Map<string, ScanUse>();
  for (const use of uses) {
    const sha = scans.get(use.scanId)?.sha256;
    if (!sha) continue;
    const twin = bySha.get(sha);
    if (twin && !(twin.role === "label" && use.role === "label")) {
      throw invalid(
        `${describe(twin.scanId)} and ${describe(use.scanId)} are the same file, used as the ` +
          `${twin.place} and the ${use.place}; a case in two places leaks between the splits`,
      );
    }
    if (!twin) bySha.set(sha, use);
  }
}

function article(role: ScanRole): string {
  return role === "image" ? "an image" : "a label";
}
