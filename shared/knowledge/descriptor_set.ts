/**
 * Descriptor sets (docs/METHOD.md 1.3): the N descriptive features of one structure that an LLM (or a
 * person following the same prompt) wrote, with their provenance. Stored as JSON, validated by
 * {@link descriptorSetSchema}; shipped sets live in `prompts/descriptors/<id>.json`.
 */
import { dirname } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.ts";
import { writeFileAtomic } from "../write_atomic.ts";
import { contentHash } from "./hash.ts";
import { descriptorsDir } from "./paths.ts";

const SET_ID = /^[a-z0-9][a-z0-9-]*$/;

/** A descriptor set id: lower-case letters, digits and `-` (it names a file). */
export const setIdSchema: z.ZodString = z.string().regex(
  SET_ID,
  "use lower-case letters, digits and '-'",
);

/** Number of whitespace-separated words in `text`. */
export function wordCount(text: string): number {
  return text.trim().split(/\s+/).filter(Boolean).length;
}

/** Jaccard overlap of the lower-cased word sets of `a` and `b`, in [0, 1]. */
function wordOverlap(a: string, b: string): number {
  const words = (t: string) => new Set(t.toLowerCase().match(/[a-z0-9]+/g) ?? []);
  const wa = words(a);
  const wb = words(b);
  const shared = [...wa].filter((w) => wb.has(w)).length;
  return shared / (wa.size + wb.size - shared || 1);
}

/**
 * A descriptor set as stored. `requirements` states what the prompt asked for; a valid set meets
 * it: exactly `count` descriptors, each at least `minWords` words, no two alike. The interface is
 * written out (not inferred) so the package's public types stay explicit; the schema below is
 * checked against it.
 */
export interface DescriptorSet {
  schema: "llmseg.descriptor-set/v1";
  /** Lower-case letters, digits and `-`; names the file of a shipped set. */
  id: string;
  task: string;
  structure: string;
  modality: string;
  requirements: { count: number; minWords: number };
  descriptors: string[];
  provenance: {
    /** The exact prompt: template id, its content hash, and the text as sent. */
    prompt: { id: string; hash: string; text: string };
    /** An LLM (through an API `endpoint`, or in a session without one), or a person by hand. */
    author: { kind: "llm"; model: string; endpoint?: string } | { kind: "person"; name: string };
    /** ISO 8601 date-time. */
    createdAt: string;
    notes?: string;
  };
}

const authorSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("llm"), model: z.string().min(1), endpoint: z.string().optional() }),
  z.object({ kind: z.literal("person"), name: z.string().min(1) }),
]);

const provenanceSchema = z.object({
  prompt: z.object({
    id: z.string().min(1),
    hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    text: z.string().min(1),
  }),
  author: authorSchema,
  createdAt: z.iso.datetime(),
  notes: z.string().optional(),
});

/** Validates a {@link DescriptorSet}, including its requirements. */
export const descriptorSetSchema: z.ZodType<DescriptorSet> = z.object({
  schema: z.literal("llmseg.descriptor-set/v1"),
  id: setIdSchema,
  task: z.string().min(1),
  structure: z.string().min(1),
  modality: z.string().min(1),
  requirements: z.object({
    count: z.int().min(1).max(64),
    minWords: z.int().min(1),
  }),
  descriptors: z.array(z.string().trim().min(1)),
  provenance: provenanceSchema,
}).superRefine((set, ctx) => {
  const { count, minWords } = set.requirements;
  if (set.descriptors.length !== count) {
    ctx.addIssue({
      code: "custom",
      path: ["descriptors"],
      message: `has ${set.descriptors.length} descriptors, the prompt asked for ${count}`,
    });
  }
  set.descriptors.forEach((d, i) => {
    const words = wordCount(d);
    if (words < minWords) {
      ctx.addIssue({
        code: "custom",
        path: ["descriptors", i],
        message: `has ${words} words, at least ${minWords} required`,
      });
    }
    const twin = set.descriptors.findIndex((other, j) => j < i && wordOverlap(d, other) > 0.6);
    if (twin >= 0) {
      ctx.addIssue({
        code: "custom",
        path: ["descriptors", i],
        message: `is nearly the same as descriptor ${twin} (more than 60% shared words)`,
      });
    }
  });
});

/** One line of `listDescriptorSets()`. */
export interface DescriptorSetSummary {
  id: string;
  task: string;
  structure: string;
  modality: string;
  count: number;
  /** {@link descriptorSetHash} of the set. */
  hash: string;
  promptId: string;
  path: string;
}

/**
 * Content hash of the descriptor texts only (`sha256:<hex>` of their JSON array): the part that
 * determines the knowledge vector, so editing notes or provenance does not change it.
 */
export function descriptorSetHash(set: Pick<DescriptorSet, "descriptors">): string {
  return contentHash(JSON.stringify(set.descriptors));
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`).join("\n");
}

/** Validates `value` as a descriptor set; a UserError names `source` and every problem. */
export function parseDescriptorSet(value: unknown, source: string): DescriptorSet {
  const result = descriptorSetSchema.safeParse(value);
  if (!result.success) {
    throw new UserError(
      "invalid_descriptor_set",
      `${source} is not a valid descriptor set:\n${formatIssues(result.error)}`,
    );
  }
  return result.data;
}

/** Resolves a shipped set id (`la`) or a file path (anything with a `/` or ending in `.json`). */
export function descriptorSetPath(idOrPath: string): string {
  if (idOrPath.includes("/") || idOrPath.endsWith(".json")) return idOrPath;
  if (!SET_ID.test(idOrPath)) {
    throw new UserError("unknown_descriptor_set", `'${idOrPath}' is neither a set id nor a path`);
  }
  return `${descriptorsDir}${idOrPath}.json`;
}

/** Loads and validates a shipped set by id, or a set file by path. */
export async function loadDescriptorSet(idOrPath: string): Promise<DescriptorSet> {
  const path = descriptorSetPath(idOrPath);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    const shipped = (await listDescriptorSets()).map((s) => s.id).join(", ");
    throw new UserError(
      "unknown_descriptor_set",
      `no descriptor set at ${path}; shipped sets: ${shipped}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(
      "invalid_descriptor_set",
      `${path} is not JSON: ${(error as Error).message}`,
    );
  }
  return parseDescriptorSet(json, path);
}

/** Summaries of the shipped sets, sorted by id. */
export async function listDescriptorSets(): Promise<DescriptorSetSummary[]> {
  const ids: string[] = [];
  for await (const entry of Deno.readDir(descriptorsDir)) {
    if (entry.isFile && entry.name.endsWith(".json")) ids.push(entry.name.slice(0, -5));
  }
  const sets = await Promise.all(ids.sort().map(loadDescriptorSet));
  return sets.map((set) => ({
    id: set.id,
    task: set.task,
    structure: set.structure,
    modality: set.modality,
    count: set.descriptors.length,
    hash: descriptorSetHash(set),
    promptId: set.provenance.prompt.id,
    path: descriptorSetPath(set.id),
  }));
}

/** Writes `set` (validated first) to `path` atomically: a temp file beside it, then a rename. */
export async function saveDescriptorSet(set: DescriptorSet, path: string): Promise<void> {
  const valid = parseDescriptorSet(set, "the descriptor set to save");
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(valid, null, 2) + "\n");
}
