/**
 * `llmseg descriptors`: the task-knowledge branch (docs/METHOD.md 1.3, 3.3) from the command line: list
 * and show descriptor sets and prompts, generate a set with an OpenAI-compatible LLM, embed a set
 * with a local BERT folder, and fetch that folder.
 */
import {
  type DescriptorSet,
  descriptorSetHash,
  embedDescriptorSet,
  generateDescriptors,
  listDescriptorSets,
  listPrompts,
  loadDescriptorSet,
  parseSha256Sums,
  saveDescriptorSet,
  setupBertModel,
  standInKnowledge,
  UserError,
  wordCount,
  writeKnowledgeRecord,
} from "@llmseg/shared";
import { type Command, parseOptions, rejectPositionals, required } from "../command.ts";

const usage = `usage: llmseg descriptors <list|show|prompts|generate|embed|setup-model> [options]

  list [--json]                      the shipped descriptor sets
  show <set> [--json]                one set (a shipped id such as 'la', or a .json path)
  prompts                            the prompt templates with their ids and content hashes
  generate --task <id> --structure <text> --modality <text> --out <file> [options]
      asks an OpenAI-compatible LLM (OPENAI_API_KEY, OPENAI_BASE_URL) for a descriptor set
      --prompt <id>        prompt template (default generic-v1; la-v1, pancreas-v1, ...)
      --landmarks <text>   landmarks to mention (generic prompt)
      --neighbours <text>  neighbouring structures to mention (generic prompt)
      --count <n>          number of descriptors (default 15)
      --min-words <n>      minimum words per descriptor (default 60)
      --model <name>       model (default LLMSEG_LLM_MODEL or gpt-4o)
      --timeout <s>        seconds per request (default 120)
      --retries <n>        retries after 429/5xx/timeouts (default 3)
  embed --set <set> [--model-dir <dir> | --stand-in] [--out <file>]
      mean [CLS] vector (768-d) of the set with the BERT folder --model-dir or LLMSEG_MODEL_DIR;
      cached by content hash; --stand-in: the set's fixed seeded stand-in vector instead, where
      no BERT weights are available (docs/METHOD.md 3.3); --out writes the knowledge record as JSON,
      usable as a model folder's knowledge.json (llmseg train --knowledge)
  setup-model [--dir <dir>] [--source <url>] [--checksums <SHA256SUMS>]
      downloads bert-base-uncased for transformers.js into --dir (default LLMSEG_MODEL_DIR),
      verifying the files against --checksums when given and recording their SHA-256`;

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new UserError("bad_option", `${flag} must be a whole number, not '${value}'`);
  }
  return n;
}

async function list(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { json: { type: "boolean" } }, usage);
  rejectPositionals(positionals, usage);
  const sets = await listDescriptorSets();
  if (values.json) {
    console.log(JSON.stringify(sets, null, 2));
    return 0;
  }
  const idWidth = Math.max(...sets.map((s) => s.id.length));
  const promptWidth = Math.max(...sets.map((s) => s.promptId.length));
  for (const s of sets) {
    const columns = [
      s.id.padEnd(idWidth),
      `${s.count} descriptors`,
      s.promptId.padEnd(promptWidth),
    ];
    console.log(`${columns.join("  ")}  ${s.task}`);
  }
  return 0;
}

function printSet(set: DescriptorSet): void {
  const { prompt, author, createdAt } = set.provenance;
  const by = author.kind === "llm" ? author.model : author.name;
  console.log(`${set.id}: ${set.task}`);
  console.log(`hash ${descriptorSetHash(set)}`);
  console.log(`prompt ${prompt.id} (${prompt.hash}); by ${by}; ${createdAt}\n`);
  set.descriptors.forEach((d, i) => console.log(`${i + 1}. (${wordCount(d)} words) ${d}\n`));
}

async function show(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, { json: { type: "boolean" } }, usage);
  if (positionals.length !== 1) throw new UserError("bad_option", `show needs one set\n\n${usage}`);
  const set = await loadDescriptorSet(positionals[0]);
  if (values.json) console.log(JSON.stringify(set, null, 2));
  else printSet(set);
  return 0;
}

function prompts(args: string[]): number {
  rejectPositionals(parseOptions(args, {}, usage).positionals, usage);
  for (const p of listPrompts()) {
    const vars = p.variables.length > 0 ? `  {${p.variables.join(", ")}}` : "";
    console.log(`${p.id}  ${p.hash}${vars}`);
  }
  return 0;
}

async function generate(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    task: { type: "string" },
    structure: { type: "string" },
    modality: { type: "string" },
    out: { type: "string" },
    prompt: { type: "string" },
    landmarks: { type: "string" },
    neighbours: { type: "string" },
    count: { type: "string" },
    "min-words": { type: "string" },
    model: { type: "string" },
    timeout: { type: "string" },
    retries: { type: "string" },
  }, usage);
  rejectPositionals(positionals, usage);
  const out = required(values.out, "--out", usage);
  const timeout = positiveInt(values.timeout, "--timeout");
  const set = await generateDescriptors({
    id: required(values.task, "--task", usage),
    structure: required(values.structure, "--structure", usage),
    modality: required(values.modality, "--modality", usage),
    promptId: values.prompt,
    landmarks: values.landmarks,
    neighbours: values.neighbours,
    count: positiveInt(values.count, "--count"),
    minWords: positiveInt(values["min-words"], "--min-words"),
    model: values.model,
    timeoutMs: timeout === undefined ? undefined : timeout * 1000,
    maxRetries: positiveInt(values.retries, "--retries"),
  });
  await saveDescriptorSet(set, out);
  console.log(`wrote ${out}: ${set.descriptors.length} descriptors, ${descriptorSetHash(set)}`);
  return 0;
}

async function embed(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    set: { type: "string" },
    "model-dir": { type: "string" },
    "stand-in": { type: "boolean" },
    out: { type: "string" },
  }, usage);
  rejectPositionals(positionals, usage);
  const set = await loadDescriptorSet(required(values.set, "--set", usage));
  if (values["stand-in"] && values["model-dir"] !== undefined) {
    throw new UserError("bad_option", "--stand-in and --model-dir exclude each other");
  }
  const modelDir = values["model-dir"] ?? Deno.env.get("LLMSEG_MODEL_DIR");
  if (!modelDir && !values["stand-in"]) {
    throw new UserError(
      "model_missing",
      "no BERT model folder: pass --model-dir or set LLMSEG_MODEL_DIR (see `setup-model`), " +
        "or --stand-in for the set's fixed stand-in vector",
    );
  }
  const knowledge = values["stand-in"]
    ? standInKnowledge(set)
    : await embedDescriptorSet(set, { modelDir: modelDir! });
  if (values.out) await writeKnowledgeRecord(values.out, knowledge);
  const norm = Math.hypot(...knowledge.vector);
  console.log(
    `${set.id}: ${knowledge.vector.length}-d ${knowledge.source} vector ${knowledge.hash}`,
  );
  console.log(
    `norm ${norm.toFixed(4)}; first values ${
      Array.from(knowledge.vector.subarray(0, 4), (v) => v.toFixed(4)).join(" ")
    }${values.out ? `; wrote ${values.out}` : ""}`,
  );
  return 0;
}

async function setupModel(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    dir: { type: "string" },
    source: { type: "string" },
    checksums: { type: "string" },
  }, usage);
  rejectPositionals(positionals, usage);
  const dir = values.dir ?? Deno.env.get("LLMSEG_MODEL_DIR");
  if (!dir) throw new UserError("bad_option", `pass --dir or set LLMSEG_MODEL_DIR\n\n${usage}`);
  const expected = values.checksums === undefined
    ? undefined
    : parseSha256Sums(await Deno.readTextFile(values.checksums), values.checksums);
  const fetched = await setupBertModel({ dir, source: values.source, expected });
  for (const f of fetched) {
    const state = expected?.[f.file] ? "verified" : "recorded";
    console.log(`${f.sha256}  ${f.file}  (${f.bytes} bytes, ${state})`);
  }
  console.log(`model folder ready: ${dir} (SHA256SUMS written); export LLMSEG_MODEL_DIR=${dir}`);
  return 0;
}

const subcommands: Record<string, (args: string[]) => Promise<number> | number> = {
  list,
  show,
  prompts,
  generate,
  embed,
  "setup-model": setupModel,
};

export const descriptorsCommand: Command = {
  name: "descriptors",
  summary: "task knowledge: list, show, generate (LLM) and embed (BERT) descriptor sets",
  usage,
  async run(args: string[]): Promise<number> {
    const [name, ...rest] = args;
    const sub = name === undefined ? undefined : subcommands[name];
    if (!sub) {
      throw new UserError(
        "bad_option",
        `${name === undefined ? "missing" : `unknown`} sub-command${
          name ? ` '${name}'` : ""
        }\n\n${usage}`,
      );
    }
    return await sub(rest);
  },
};
