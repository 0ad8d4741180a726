/**
 * BERT embedding of a descriptor set (docs/METHOD.md 1.3 eq 6, 3.3): each descriptor is embedded
 * separately (the 15 together exceed BERT's 512 tokens), the last-layer [CLS] vector (768-d) is
 * taken, and the vectors are averaged over the set. Runs @huggingface/transformers (onnxruntime on
 * the CPU) on a local model folder only; results are cached by content hash (set hash + model
 * fingerprint), so a set is embedded once per model.
 */
import type { Tensor } from "@huggingface/transformers";
import { basename, dirname, resolve } from "node:path";
import { contentHash } from "./hash.ts";
import { type BertFolder, KNOWLEDGE_DIM, openBertFolder } from "./bert_folder.ts";
import { type DescriptorSet, descriptorSetHash } from "./descriptor_set.ts";
import {
  type KnowledgeVector,
  readKnowledgeRecord,
  writeKnowledgeRecord,
} from "./knowledge_record.ts";
import { UserError } from "../errors.ts";

/** BERT's position limit; longer descriptors are truncated. */
const MAX_TOKENS = 512;

/** Options of {@link embedDescriptorSet}. */
export interface EmbedOptions {
  /** The BERT model folder (see `bert_folder.ts`). */
  modelDir: string;
  /** Cache folder; default {@link defaultKnowledgeCacheDir}. */
  cacheDir?: string;
}

/** `LLMSEG_CACHE_DIR`, else `$XDG_CACHE_HOME/llmseg` or `~/.cache/llmseg`, plus `/knowledge`. */
export function defaultKnowledgeCacheDir(): string {
  const root = Deno.env.get("LLMSEG_CACHE_DIR") ??
    `${Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? "."}/.cache`}/llmseg`;
  return `${root}/knowledge`;
}

/** Mean last-layer [CLS] vector of `texts` under the model in `folder`. Shape: [hidden]. */
async function meanClsVector(folder: BertFolder, texts: string[]): Promise<Float32Array> {
  // Loaded on first use, so that importing @llmseg/shared does not load onnxruntime.
  const { AutoModel, AutoTokenizer, env } = await import("@huggingface/transformers");
  // Never reach for a hub: a missing file must fail, not download.
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  // transformers.js resolves a model id under env.localModelPath.
  const dir = resolve(folder.dir);
  env.localModelPath = `${dirname(dir)}/`;
  const id = basename(dir);
  const tokenizer = await AutoTokenizer.from_pretrained(id, { local_files_only: true });
  const model = await AutoModel.from_pretrained(id, { dtype: "fp32", local_files_only: true });
  try {
    const sum = new Float64Array(folder.hiddenSize);
    for (const text of texts) {
      const inputs = tokenizer(text, { truncation: true, max_length: MAX_TOKENS });
      const { last_hidden_state: hidden } = await model(inputs) as { last_hidden_state: Tensor };
      const [, , width] = hidden.dims; // [1, tokens, hidden]
      if (width !== KNOWLEDGE_DIM) {
        throw new UserError(
          "model_invalid",
          `${folder.dir} produced ${width}-d states; the knowledge vector must be ${KNOWLEDGE_DIM}-d`,
        );
      }
      const cls = (hidden.data as Float32Array).subarray(0, width); // token 0 = [CLS]
      for (let i = 0; i < width; i++) sum[i] += cls[i];
    }
    return Float32Array.from(sum, (v) => v / texts.length);
  } finally {
    await model.dispose();
  }
}

/**
 * The knowledge vector of `set` under the BERT folder `options.modelDir`: from the cache when this
 * set was embedded with this exact model before, else computed and cached.
 * Shape of `vector`: [768].
 */
export async function embedDescriptorSet(
  set: DescriptorSet,
  options: EmbedOptions,
): Promise<KnowledgeVector> {
  const folder = await openBertFolder(options.modelDir);
  const setHash = descriptorSetHash(set);
  const hash = contentHash(`${setHash}\n${folder.fingerprint}`);
  const cachePath = `${options.cacheDir ?? defaultKnowledgeCacheDir()}/${hash.slice(7)}.json`;
  // A damaged cache entry is recomputed and overwritten, not reported.
  const cached = await readKnowledgeRecord(cachePath).catch(() => undefined);
  if (cached && cached.hash === hash) return cached;
  const knowledge: KnowledgeVector = {
    descriptorSetId: set.id,
    descriptorSetHash: setHash,
    encoder: `${folder.modelType} last-layer [CLS], mean over ${set.descriptors.length} ` +
      `descriptors (model ${folder.fingerprint.slice(0, 19)})`,
    source: "bert",
    modelFingerprint: folder.fingerprint,
    hash,
    vector: await meanClsVector(folder, set.descriptors),
  };
  await writeKnowledgeRecord(cachePath, knowledge);
  return knowledge;
}
