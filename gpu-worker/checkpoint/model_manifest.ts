/**
 * The model folder's metadata: `model.json` (network config, training patch and stride,
 * preprocessing, descriptor set) and `knowledge.json` (the knowledge vector e and where it came
 * from). tfjs-free, so any process can validate a folder.
 */
import { z } from "zod";
import { NetworkConfigSchema } from "../networks/config.ts";

const positiveInt = z.number().int().positive();
const triple = z.tuple([positiveInt, positiveInt, positiveInt]);

/** Members of the co-trained pair stored in `weights.safetensors` (prefix `a/`, `b/`). */
export const MemberSchema = z.enum(["a", "b"]);
export type Member = z.infer<typeof MemberSchema>;

/** `model.json`. */
export const ModelManifestSchema = z.object({
  schema: z.literal("llmseg.model/v1"),
  network: NetworkConfigSchema,
  /** Networks stored: ["a", "b"] for a co-trained pair, ["a"] for one network. */
  members: z.array(MemberSchema).min(1),
  /** Training patch [X, Y, Z], the default sliding window (METHOD.md 6). */
  patch: triple,
  /** Default sliding-window stride [X, Y, Z]. */
  stride: triple,
  /** Intensity preprocessing inference applies: whole-volume z-score (lineage h5 files are stored z-scored). */
  preprocessing: z.object({ intensity: z.enum(["zscore", "none"]) }),
  /** Descriptor set behind `knowledge.json`; null when the text branch is off (beta 0). */
  knowledge: z.object({ descriptorSetId: z.string().min(1), descriptorSetHash: z.string().min(1) })
    .nullable(),
  /** How the weights came to be: a training run, or an import (the source file). */
  origin: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("trained"), iteration: z.number().int().min(0) }),
    z.object({ kind: z.literal("imported"), from: z.string() }),
  ]),
  /** The training configuration, when trained (its schema belongs to the trainer). */
  training: z.record(z.string(), z.unknown()).optional(),
  createdAt: z.iso.datetime(),
}).refine((m) => (m.network.beta > 0) === (m.knowledge !== null), {
  message: "knowledge must be given exactly when network.beta > 0",
  path: ["knowledge"],
});
export type ModelManifest = z.infer<typeof ModelManifestSchema>;

/** `knowledge.json`: e (METHOD.md 3.3) and its provenance. */
export const KnowledgeFileSchema = z.object({
  schema: z.literal("llmseg.knowledge/v1"),
  descriptorSetId: z.string().min(1),
  descriptorSetHash: z.string().min(1),
  /** How e was computed, e.g. "bert-base-uncased [CLS], mean over descriptors". */
  encoder: z.string().min(1),
  vector: z.array(z.number()).min(1),
});
export type KnowledgeFile = z.infer<typeof KnowledgeFileSchema>;
