/**
 * The knowledge vector as stored on disk (docs/METHOD.md 1.3, 3.3: `e` in R^768, the mean [CLS] vector
 * of a descriptor set): in the embedding cache (`<cache>/<hash>.json`) and in a trained model's
 * folder (`knowledge.json`), so that inference adds the same knowledge the network was trained with.
 */
import { dirname } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../write_atomic.ts";
import { readJsonFile } from "../read_json_file.ts";
import { KNOWLEDGE_DIM } from "./bert_folder.ts";

const hashSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/);

/**
 * A knowledge vector with what it was made from (written out: explicit public types). Its fields
 * are a superset of the model folder's `knowledge.json` (gpu-worker/checkpoint/model_manifest.ts
 * `KnowledgeFileSchema`), so a record can be stored there as it is.
 */
export interface KnowledgeRecord {
  schema: "llmseg.knowledge/v1";
  descriptorSetId: string;
  /** `descriptorSetHash()` of the set. */
  descriptorSetHash: string;
  /** How the vector was computed, in words. */
  encoder: string;
  /**
   * `bert`: mean [CLS] vector of a BERT model folder; `stand-in`: a fixed vector seeded by the set
   * hash, used where no BERT weights are available (docs/METHOD.md 3.3 allows it; a documented deviation).
   */
  source: "bert" | "stand-in";
  /** Fingerprint of the BERT folder (source `bert` only). */
  modelFingerprint?: string;
  /** Identity of the vector: hash of the set hash and the model fingerprint (or `stand-in`). */
  hash: string;
  /** 768 values. */
  vector: number[];
}

/** Validates a {@link KnowledgeRecord}. */
export const knowledgeRecordSchema: z.ZodType<KnowledgeRecord> = z.object({
  schema: z.literal("llmseg.knowledge/v1"),
  descriptorSetId: z.string().min(1),
  descriptorSetHash: hashSchema,
  encoder: z.string().min(1),
  source: z.enum(["bert", "stand-in"]),
  modelFingerprint: hashSchema.optional(),
  hash: hashSchema,
  vector: z.array(z.number()).length(KNOWLEDGE_DIM),
});

/** The in-memory form returned to callers. */
export type KnowledgeVector = Omit<KnowledgeRecord, "vector" | "schema"> & {
  /** 768 values, float32. */
  vector: Float32Array;
};

/** The stored form of `knowledge`. */
export function toKnowledgeRecord(knowledge: KnowledgeVector): KnowledgeRecord {
  return { ...knowledge, schema: "llmseg.knowledge/v1", vector: Array.from(knowledge.vector) };
}

/** Writes `knowledge` as JSON to `path` atomically (temp file beside it, then rename). */
export async function writeKnowledgeRecord(
  path: string,
  knowledge: KnowledgeVector,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(toKnowledgeRecord(knowledge)));
}

/**
 * Reads a knowledge record from `path`; undefined when there is no file. A file that is not a
 * valid record is a UserError naming it.
 */
export async function readKnowledgeRecord(path: string): Promise<KnowledgeVector | undefined> {
  const record = await readJsonFile(
    path,
    knowledgeRecordSchema,
    "invalid_knowledge",
    "a knowledge record",
  );
  if (!record) return undefined;
  const { schema: _, vector, ...rest } = record;
  return { ...rest, vector: Float32Array.from(vector) };
}
