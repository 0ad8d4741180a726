/**
 * The model folder's metadata: `model.json` (network config, training patch and stride, the
 * intensity normalisation of training, the knowledge vector's identity) and `knowledge.json` (the
 * knowledge vector e and where it came from). tfjs-free, so any process can validate a folder.
 */
import { z } from "zod";
import { Normalization } from "../../shared/dataset/description.ts";
import { DatasetFingerprint } from "../../shared/dataset/fingerprint.ts";
import workerPackage from "../deno.json" with { type: "json" };
import { contentHash } from "../../shared/knowledge/hash.ts";
import {
  type KnowledgeRecord,
  knowledgeRecordSchema,
} from "../../shared/knowledge/knowledge_record.ts";
import { NetworkConfigSchema } from "../networks/config.ts";

const positiveInt = z.number().int().positive();
const triple = z.tuple([positiveInt, positiveInt, positiveInt]);
const hashSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/);

/** Members of the co-trained pair stored in `weights.safetensors` (prefix `a/`, `b/`). */
export const MemberSchema = z.enum(["a", "b"]);
export type Member = z.infer<typeof MemberSchema>;

/**
 * `model.json`'s reference to `knowledge.json`: which descriptor set, which vector (the record's
 * `hash`: set hash plus encoder), how it was made, and `vectorHash`, the hash of the 768 float32
 * values themselves, so a folder whose vector was swapped or edited is refused on load.
 */
export const KnowledgeReferenceSchema = z.object({
  descriptorSetId: z.string().min(1),
  descriptorSetHash: hashSchema,
  hash: hashSchema,
  source: z.enum(["bert", "stand-in"]),
  vectorHash: hashSchema,
});
export type KnowledgeReference = z.infer<typeof KnowledgeReferenceSchema>;

/** `model.json`. */
export const ModelManifestSchema = z.object({
  schema: z.literal("llmseg.model/v1"),
  network: NetworkConfigSchema,
  /** Networks stored: ["a", "b"] for a co-trained pair, ["a"] for one network. */
  members: z.array(MemberSchema).min(1),
  /** Training patch [X, Y, Z], the default sliding window (docs/METHOD.md 6). */
  patch: triple,
  /** Default sliding-window stride [X, Y, Z]. */
  stride: triple,
  /**
   * The per-case intensity normalisation the training data got (docs/METHOD.md 2.1, the dataset
   * module's own type), applied unchanged at inference.
   */
  preprocessing: z.object({ normalization: Normalization }),
  /** The knowledge vector in `knowledge.json`; null when the text branch is off (beta 0). */
  knowledge: KnowledgeReferenceSchema.nullable(),
  /** How the weights came to be: a training run, or an import (the source file). */
  origin: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("trained"), iteration: z.number().int().min(0) }),
    z.object({ kind: z.literal("imported"), from: z.string() }),
  ]),
  /** The training configuration, when trained (its schema belongs to the trainer). */
  training: z.record(z.string(), z.unknown()).optional(),
  /**
   * What the model was trained on: spacing (inference resamples to it), orientation, raw
   * foreground intensities, channel and class names, the split. Absent in folders written before
   * it and in imported ones: inference then runs on the input's own grid.
   */
  dataset: DatasetFingerprint.optional(),
  /** The llmseg version that wrote the folder ({@link TOOL_VERSION}); absent in older folders. */
  toolVersion: z.string().optional(),
  createdAt: z.iso.datetime(),
}).refine((m) => (m.network.beta > 0) === (m.knowledge !== null), {
  message: "knowledge must be given exactly when network.beta > 0",
  path: ["knowledge"],
});
export type ModelManifest = z.infer<typeof ModelManifestSchema>;

/** This llmseg's version and the runtime's, as model folders record it. */
export const TOOL_VERSION = `llmseg ${workerPackage.version} (deno ${Deno.version.deno})`;

/** `knowledge.json`: e (docs/METHOD.md 3.3) and its provenance, the shared knowledge record as is. */
export const KnowledgeFileSchema: z.ZodType<KnowledgeRecord> = knowledgeRecordSchema;
export type KnowledgeFile = KnowledgeRecord;

/** `sha256:` of the vector's float32 little-endian bytes (what the network actually reads). */
export function knowledgeVectorHash(vector: ArrayLike<number>): string {
  const values = Float32Array.from(vector);
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return contentHash(bytes);
}

/** The `model.json` reference to `knowledge`. */
export function knowledgeReference(knowledge: KnowledgeFile): KnowledgeReference {
  return {
    descriptorSetId: knowledge.descriptorSetId,
    descriptorSetHash: knowledge.descriptorSetHash,
    hash: knowledge.hash,
    source: knowledge.source,
    vectorHash: knowledgeVectorHash(knowledge.vector),
  };
}

/**
 * How `knowledge` disagrees with `reference` (e.g. "hash is sha256:…1, expected sha256:…2"), or
 * undefined when it is the vector `reference` names.
 */
export function knowledgeMismatch(
  reference: KnowledgeReference,
  knowledge: KnowledgeFile,
): string | undefined {
  const actual = knowledgeReference(knowledge);
  const field = (Object.keys(reference) as (keyof KnowledgeReference)[]).find((key) =>
    actual[key] !== reference[key]
  );
  return field && `${field} is ${actual[field]}, expected ${reference[field]}`;
}
