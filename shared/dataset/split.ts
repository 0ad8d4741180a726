/** Labelled / unlabelled / test splits, by count or by explicit lists, reproducibly. */
import { UserError } from "../errors.ts";
import { Rng } from "../random.ts";
import type { CaseEntry } from "./cases.ts";
import type { SplitSpec } from "./description.ts";

/** The three parts of a semi-supervised split; every case is in at most one. */
export interface DatasetSplit {
  labelled: CaseEntry[];
  unlabelled: CaseEntry[];
  test: CaseEntry[];
}

/**
 * Splits listed cases as `spec` says (see {@link SplitSpec}). Explicit id lists are taken as
 * given; counts are then filled from the remaining training cases in list order (or the order of
 * `new Rng(seed).permutation`): labelled from the front, test from the back, unlabelled next.
 * Held-out cases (`imagesTs/`, `testList`) never enter training; they are the default test set.
 *
 * @throws UserError for an unknown id, an id in two parts, too few cases, or a labelled case
 *   without a label.
 */
export function splitCases(cases: readonly CaseEntry[], spec: SplitSpec): DatasetSplit {
  const byId = new Map(cases.map((c) => [c.id, c]));
  const resolve = (ids: string[], part: string): CaseEntry[] =>
    ids.map((id) => {
      const entry = byId.get(id);
      if (!entry) throw new UserError("invalid_split", `${part}: no case '${id}' in the dataset`);
      return entry;
    });
  const explicitTest = spec.test === undefined
    ? cases.filter((c) => c.heldOut)
    : Array.isArray(spec.test)
    ? resolve(spec.test, "test")
    : [];
  const explicitLabelled = Array.isArray(spec.labelled) ? resolve(spec.labelled, "labelled") : [];
  const explicitUnlabelled = Array.isArray(spec.unlabelled)
    ? resolve(spec.unlabelled, "unlabelled")
    : [];
  checkDisjoint({ test: explicitTest, labelled: explicitLabelled, unlabelled: explicitUnlabelled });

  const taken = new Set([...explicitTest, ...explicitLabelled, ...explicitUnlabelled]);
  let free = cases.filter((c) => !c.heldOut && !taken.has(c));
  if (spec.seed !== undefined) {
    const order = new Rng(spec.seed).permutation(free.length);
    free = order.map((n) => free[n]);
  }
  const take = (count: number, part: string, fromBack: boolean): CaseEntry[] => {
    if (count > free.length) {
      throw new UserError(
        "invalid_split",
        `${part}: ${count} cases asked for but only ${free.length} remain unassigned`,
      );
    }
    const chosen = fromBack ? free.slice(free.length - count) : free.slice(0, count);
    free = fromBack ? free.slice(0, free.length - count) : free.slice(count);
    return chosen;
  };
  const test = typeof spec.test === "number" ? take(spec.test, "test", true) : explicitTest;
  const labelled = typeof spec.labelled === "number"
    ? take(spec.labelled, "labelled", false)
    : explicitLabelled;
  const unlabelled = spec.unlabelled === "rest"
    ? take(free.length, "unlabelled", false)
    : typeof spec.unlabelled === "number"
    ? take(spec.unlabelled, "unlabelled", false)
    : explicitUnlabelled;

  const unlabelledLabels = labelled.filter((c) => c.label === undefined).map((c) => c.id);
  if (unlabelledLabels.length > 0) {
    throw new UserError(
      "invalid_split",
      `labelled: case(s) ${unlabelledLabels.join(", ")} have no label file`,
    );
  }
  return { labelled, unlabelled, test };
}

function checkDisjoint(parts: Record<string, CaseEntry[]>): void {
  const owner = new Map<string, string>();
  for (const [part, entries] of Object.entries(parts)) {
    for (const entry of entries) {
      const other = owner.get(entry.id);
      if (other !== undefined) {
        throw new UserError(
          "invalid_split",
          `case '${entry.id}' is in both ${other} and ${part}`,
        );
      }
      owner.set(entry.id, part);
    }
  }
}
