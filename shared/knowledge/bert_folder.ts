/**
 * The local BERT model folder (docs/METHOD.md 3.3: frozen bert-base-uncased, 768-d [CLS]), in the layout
 * of a model converted for transformers.js: `config.json`, `tokenizer.json`,
 * `tokenizer_config.json`, `onnx/model.onnx`. Never fetched from a hub at run time; checked here so
 * that a missing folder or a model of the wrong size fails with a clear message before any work.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { UserError } from "../errors.ts";

/** Width of the knowledge vector: bert-base's hidden size (docs/METHOD.md 3.3). */
export const KNOWLEDGE_DIM = 768;

/** Files a usable folder must hold, relative to it. */
export const BERT_FILES = [
  "config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "onnx/model.onnx",
] as const;

const configSchema = z.object({ model_type: z.string(), hidden_size: z.int() });

/** A checked model folder. */
export interface BertFolder {
  dir: string;
  modelType: string;
  hiddenSize: number;
  /** `sha256:<hex>` over all {@link BERT_FILES}: identifies the exact model in cache keys. */
  fingerprint: string;
}

const HELP = "LLMSEG_MODEL_DIR must name a folder with bert-base-uncased converted for " +
  `transformers.js (${BERT_FILES.join(", ")}); \`llmseg descriptors setup-model\` fetches one ` +
  "where the network allows";

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function hashFiles(dir: string): Promise<string> {
  const hash = createHash("sha256");
  for (const file of BERT_FILES) {
    hash.update(`${file}\n`);
    // Streamed: the real model.onnx is about 440 MB.
    using handle = await Deno.open(`${dir}/${file}`);
    for await (const chunk of handle.readable) hash.update(chunk);
  }
  return `sha256:${hash.digest("hex")}`;
}

/**
 * Checks `dir` and returns its identity. Throws a UserError when the folder or a file is missing,
 * when `config.json` is unreadable, or when the hidden size is not {@link KNOWLEDGE_DIM}.
 */
export async function openBertFolder(dir: string): Promise<BertFolder> {
  const missing = [];
  for (const file of BERT_FILES) if (!(await isFile(`${dir}/${file}`))) missing.push(file);
  if (missing.length === BERT_FILES.length) {
    throw new UserError("model_missing", `no BERT model folder at ${dir}: ${HELP}`);
  }
  if (missing.length > 0) {
    throw new UserError("model_missing", `${dir} lacks ${missing.join(", ")}: ${HELP}`);
  }
  let config: z.infer<typeof configSchema>;
  try {
    config = configSchema.parse(JSON.parse(await Deno.readTextFile(`${dir}/config.json`)));
  } catch (error) {
    throw new UserError(
      "model_invalid",
      `${dir}/config.json has no readable model_type and hidden_size: ${(error as Error).message}`,
    );
  }
  if (config.hidden_size !== KNOWLEDGE_DIM) {
    throw new UserError(
      "model_invalid",
      `${dir} has hidden size ${config.hidden_size}; the knowledge vector must be ` +
        `${KNOWLEDGE_DIM}-d (bert-base)`,
    );
  }
  return {
    dir,
    modelType: config.model_type,
    hiddenSize: config.hidden_size,
    fingerprint: await hashFiles(dir),
  };
}
