/**
 * Committed splits by case id (issue #8): which cases are labelled, unlabelled and held out for
 * validation. The lists are generated once (seeded) and stored as explicit ids in `splits/*.json`,
 * so a rerun never depends on directory order or on the generator staying the same.
 */
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { Rng, UserError } from "@llmseg/shared";

/** One fold: three disjoint lists of case ids. */
export const FoldSchema = z.object({
  labelled: z.array(z.string().min(1)).min(1),
  unlabelled: z.array(z.string().min(1)),
  /** Never trained on: scored after training (and used for the validation curve). */
  validation: z.array(z.string().min(1)).min(1),
});
export type Fold = z.infer<typeof FoldSchema>;

/** A committed split file: how it was made and its folds. */
export const SplitFileSchema = z.object({
  dataset: z.string().min(1),
  /** How the lists were generated, in words (with the seed), for the results note. */
  method: z.string().min(1),
  folds: z.array(FoldSchema).min(1),
});
export type SplitFile = z.infer<typeof SplitFileSchema>;

/**
 * A seeded holdout split: shuffle `ids` with `new Rng(seed).permutation`, the first `validation`
 * are held out, `round(labelledFraction · rest)` of the rest (in shuffled order) are labelled,
 * the remainder unlabelled. Each list is returned sorted for readability.
 */
export function seededSplit(
  ids: readonly string[],
  options: { seed: number; validation: number; labelledFraction: number },
): Fold {
  const shuffled = new Rng(options.seed).permutation(ids.length).map((n) => ids[n]);
  const validation = shuffled.slice(0, options.validation);
  const training = shuffled.slice(options.validation);
  const labelledCount = Math.max(1, Math.round(options.labelledFraction * training.length));
  const sorted = (list: string[]): string[] => [...list].sort();
  return {
    labelled: sorted(training.slice(0, labelledCount)),
    unlabelled: sorted(training.slice(labelledCount)),
    validation: sorted(validation),
  };
}

/**
 * Rotating folds over a list in its given order: fold k validates on ids[k·v, (k+1)·v); of the
 * remaining ids (list order) the first `labelled` are labelled (the lineage's "first N of the
 * list"), the next `unlabelled` unlabelled.
 */
export function rotatingFolds(
  ids: readonly string[],
  options: { validation: number; labelled: number; unlabelled: number },
): Fold[] {
  const { validation, labelled, unlabelled } = options;
  const folds: Fold[] = [];
  for (let start = 0; start + validation <= ids.length; start += validation) {
    const held = ids.slice(start, start + validation);
    const rest = ids.filter((id) => !held.includes(id));
    folds.push({
      labelled: rest.slice(0, labelled),
      unlabelled: rest.slice(labelled, labelled + unlabelled),
      validation: held,
    });
  }
  return folds;
}

/**
 * Reads and validates `splits/<name>.json` beside this module, checking every fold's lists are
 * disjoint.
 * @throws UserError for a missing, malformed or overlapping split file.
 */
export async function loadSplitFile(name: string): Promise<SplitFile> {
  const path = fileURLToPath(new URL(`./splits/${name}.json`, import.meta.url));
  let parsed: SplitFile;
  try {
    parsed = SplitFileSchema.parse(JSON.parse(await Deno.readTextFile(path)));
  } catch (error) {
    throw new UserError("invalid_split", `${path}: ${(error as Error).message}`);
  }
  parsed.folds.forEach((fold, k) => {
    const all = [...fold.labelled, ...fold.unlabelled, ...fold.validation];
    if (new Set(all).size !== all.length) {
      throw new UserError("invalid_split", `${path}: fold ${k} lists a case twice`);
    }
  });
  return parsed;
}

/** Hippocampus (174 cases): 34 held out (≈ 20 %), labelled 10 % of the other 140, seed 8. */
export const HIPPOCAMPUS_RECIPE = { seed: 8, validation: 34, labelledFraction: 0.1 } as const;
/** Left atrium (16 cases): 4 validation, 4 labelled, 8 unlabelled, rotated over 4 folds. */
export const LA_RECIPE = { validation: 4, labelled: 4, unlabelled: 8 } as const;

/** The split files, by name, for the shared data's case lists (hippocampus ids, LA `cases.list`). */
export function splitFilesFor(
  hippocampusIds: readonly string[],
  laIds: readonly string[],
): Record<"hippocampus" | "la2018", SplitFile> {
  const h = HIPPOCAMPUS_RECIPE, l = LA_RECIPE;
  return {
    hippocampus: {
      dataset: "hippocampus",
      method: `seededSplit(seed ${h.seed}): ${h.validation} validation cases, labelled ` +
        `${h.labelledFraction * 100} % of the remaining training part, the rest unlabelled`,
      folds: [seededSplit(hippocampusIds, h)],
    },
    la2018: {
      dataset: "la2018",
      method: `rotatingFolds over cases.list: fold k validates on ids 4k..4k+3; of the other 12 ` +
        `(list order) the first ${l.labelled} are labelled, the next ${l.unlabelled} unlabelled`,
      folds: rotatingFolds(laIds, l),
    },
  };
}
