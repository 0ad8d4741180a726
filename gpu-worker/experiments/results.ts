/**
 * The results file (`docs/results.json`): one row per finished run, the source of the tables and
 * curves of `docs/results.md`. It is read back by later runs, so it is a zod schema.
 */
import { dirname } from "node:path";
import { z } from "zod";
import { UserError } from "@llmseg/shared";
import { writeFileAtomic } from "../../shared/write_atomic.ts";

const metrics = z.object({
  dice: z.number(),
  jaccard: z.number(),
  hd95: z.number(),
  asd: z.number(),
});

export const ResultRowSchema = z.object({
  /** `<experiment>-fold<k>-seed<s>`: a rerun with the same key replaces the row. */
  key: z.string(),
  experiment: z.string(),
  task: z.string(),
  label: z.string(),
  fold: z.int().min(0),
  seed: z.int(),
  /** Training setup actually used. */
  setup: z.object({
    mode: z.string(),
    unsupLoss: z.string(),
    /** λ, the largest weight of L_u (rows written before the switch used 1). */
    unsupMaxWeight: z.number().default(1),
    beta: z.number(),
    width: z.int(),
    patch: z.array(z.int()),
    labelled: z.int(),
    unlabelled: z.int(),
    validation: z.int(),
    knowledge: z.string().nullable(),
    backend: z.string(),
  }),
  iterations: z.int(),
  /** Wall time of `train()` (data loading, iterations, validation passes, checkpoints). */
  trainSeconds: z.number(),
  /** Mean wall time of one iteration (the trainer's rate over the whole loop). */
  secondsPerIteration: z.number(),
  inferSeconds: z.number(),
  /** Mean and population std over validation cases (distances in mm). */
  mean: metrics,
  std: metrics,
  perCase: z.array(z.object({ case: z.string() }).extend(metrics.shape)),
  /** Training loss, averaged over consecutive bins of iterations: [iteration, loss]. */
  lossCurve: z.array(z.tuple([z.number(), z.number()])),
  /** Validation Dice during training: [iteration, dice]. */
  validationCurve: z.array(z.tuple([z.number(), z.number()])),
  /** The command that reproduces the row, and where its model folder was kept. */
  command: z.string(),
  modelDir: z.string(),
  finishedAt: z.string(),
});
export type ResultRow = z.infer<typeof ResultRowSchema>;

/** Rows of `path`; none when the file does not exist yet. */
export async function readResults(path: string): Promise<ResultRow[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const parsed = z.array(ResultRowSchema).safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new UserError("invalid_results", `${path}: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** Adds `row` (replacing one with the same key) and rewrites `path` atomically. */
export async function appendResult(path: string, row: ResultRow): Promise<ResultRow[]> {
  const rows = (await readResults(path)).filter((r) => r.key !== row.key);
  rows.push(row);
  await writeAtomically(path, JSON.stringify(rows, null, 1) + "\n");
  return rows;
}

/** {@link writeFileAtomic} after making `path`'s folder. */
export async function writeAtomically(path: string, content: string | Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, content);
}
