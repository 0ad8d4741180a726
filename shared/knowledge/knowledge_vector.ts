/**
 * The knowledge vector for a training or inference config (docs/METHOD.md 1.3 eq 6-7, 3.3): the mean
 * BERT [CLS] vector of a descriptor set when a BERT folder is available (`LLMSEG_MODEL_DIR`,
 * cached), else a fixed stand-in vector seeded by the set's content hash.
 *
 * Deviation (docs/METHOD.md 3.3 allows it): the real bert-base-uncased weights cannot be downloaded on
 * the project's machines, so shipped sets fall back to the stand-in. Since z = MLP(e) is an
 * input-independent learned bias, the stand-in changes the initialisation of the text branch, not
 * the model's capacity. `source` says which one a caller got; record it with the model.
 */
import { Rng } from "../random.ts";
import { KNOWLEDGE_DIM } from "./bert_folder.ts";
import { type DescriptorSet, descriptorSetHash, loadDescriptorSet } from "./descriptor_set.ts";
import { embedDescriptorSet } from "./embed.ts";
import { contentHash } from "./hash.ts";
import type { KnowledgeVector } from "./knowledge_record.ts";

/** Standard deviation of the stand-in's entries, about that of bert-base [CLS] features. */
const STAND_IN_STD = 0.5;

/** Options of {@link knowledgeVectorFor}. */
export interface KnowledgeOptions {
  /** BERT folder; default `LLMSEG_MODEL_DIR`; without one the stand-in is used. */
  modelDir?: string;
  /** Embedding cache folder; default `defaultKnowledgeCacheDir()`. */
  cacheDir?: string;
}

/**
 * The stand-in knowledge vector of `set`: N(0, 0.5²) entries from a generator seeded by the set's
 * content hash, so the same descriptors always give the same vector. Shape of `vector`: [768].
 */
export function standInKnowledge(set: DescriptorSet): KnowledgeVector {
  const setHash = descriptorSetHash(set);
  const rng = new Rng(Number.parseInt(setHash.slice(7, 15), 16));
  return {
    descriptorSetId: set.id,
    descriptorSetHash: setHash,
    encoder: "fixed N(0, 0.5²) stand-in seeded by the descriptor set hash (no BERT folder; " +
      "docs/METHOD.md 3.3)",
    source: "stand-in",
    hash: contentHash(`${setHash}\nstand-in`),
    vector: Float32Array.from({ length: KNOWLEDGE_DIM }, () => STAND_IN_STD * rng.normal()),
  };
}

/**
 * The 768-d knowledge vector for a shipped set id (`la`) or a set file path: BERT-embedded (and
 * cached) when a model folder is given or `LLMSEG_MODEL_DIR` is set, else {@link standInKnowledge}.
 *
 * @example
 * ```ts ignore
 * const knowledge = await knowledgeVectorFor("la");
 * console.log(knowledge.source, knowledge.vector.length); // "stand-in" 768 without a BERT folder
 * ```
 */
export async function knowledgeVectorFor(
  setIdOrPath: string,
  options: KnowledgeOptions = {},
): Promise<KnowledgeVector> {
  const set = await loadDescriptorSet(setIdOrPath);
  const modelDir = options.modelDir ?? Deno.env.get("LLMSEG_MODEL_DIR");
  if (!modelDir) return standInKnowledge(set);
  return await embedDescriptorSet(set, { modelDir, cacheDir: options.cacheDir });
}
