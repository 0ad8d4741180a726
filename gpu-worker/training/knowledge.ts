/**
 * The knowledge vector e a training run adds at the bottleneck (docs/METHOD.md 1.3 eq 6-7, 3.3): the
 * one code path the CLI and the queue worker share.
 */
import { join } from "node:path";
import { UserError } from "@llmseg/shared";
import {
  knowledgeVectorFor,
  readKnowledgeRecord,
  toKnowledgeRecord,
} from "../../shared/knowledge/mod.ts";
import { type KnowledgeFile, knowledgeMismatch, knowledgeReference } from "../checkpoint/mod.ts";
import type { TrainConfig } from "./config.ts";

/** Where the model folder keeps e (written by `saveModelFolder`). */
const KNOWLEDGE_FILE = "knowledge.json";

/**
 * The run's knowledge vector, or undefined when beta is 0 (no text branch, nothing stored):
 *  - resuming: the vector the run started with, from `<out>/knowledge.json` (a given `record`
 *    must be that same vector);
 *  - else `record` when given (a precomputed or tenant set's vector);
 *  - else `knowledgeVectorFor(config.descriptors)` (BERT with `LLMSEG_MODEL_DIR`, else the
 *    set-seeded stand-in).
 *
 * @throws UserError for an unknown or invalid descriptor set, or a `record` that differs from
 *   the one a resumed run was trained with.
 */
export async function trainingKnowledge(
  config: TrainConfig,
  options: { out: string; resume?: boolean; record?: KnowledgeFile },
): Promise<KnowledgeFile | undefined> {
  if (config.beta === 0) return undefined;
  const path = join(options.out, KNOWLEDGE_FILE);
  const started = options.resume ? await readKnowledgeRecord(path) : undefined;
  if (started) {
    const record = toKnowledgeRecord(started);
    const mismatch = options.record &&
      knowledgeMismatch(knowledgeReference(record), options.record);
    if (mismatch) {
      throw new UserError(
        "bad_option",
        `cannot resume with another knowledge vector than the run's ${path}: ${mismatch}`,
      );
    }
    return record;
  }
  return options.record ?? toKnowledgeRecord(await knowledgeVectorFor(config.descriptors));
}
