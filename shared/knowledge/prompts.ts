/**
 * Prompt registry (docs/METHOD.md 1.3, 3.3): versioned prompt templates in `prompts/templates/<id>.txt`.
 * A template's id is its file name; its hash is the content hash of the file, recorded in the
 * provenance of every descriptor set made from it. `{{name}}` marks a variable (the generic
 * template has `structure`, `modality`, `landmarks`, `neighbours`, `count`, `minWords`); the
 * paper's prompts have none and are used verbatim.
 */
import { UserError } from "../errors.ts";
import { contentHash } from "./hash.ts";
import { templatesDir } from "./paths.ts";

/** One prompt template as stored. */
export interface PromptTemplate {
  id: string;
  text: string;
  /** `sha256:<hex>` of the file. */
  hash: string;
  /** Names of the `{{name}}` placeholders, in order of first use. */
  variables: string[];
}

const PLACEHOLDER = /\{\{([A-Za-z]+)\}\}/g;
const ID = /^[a-z0-9][a-z0-9-]*$/;

function fromText(id: string, text: string): PromptTemplate {
  const variables = [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]))];
  return { id, text, hash: contentHash(text), variables };
}

/** Every shipped template, sorted by id. */
export function listPrompts(): PromptTemplate[] {
  return [...Deno.readDirSync(templatesDir)]
    .filter((e) => e.isFile && e.name.endsWith(".txt"))
    .map((e) => e.name.slice(0, -".txt".length))
    .sort()
    .map(loadPrompt);
}

/** The template `id` (e.g. `la-v1`, `generic-v1`); a UserError names the known ids otherwise. */
export function loadPrompt(id: string): PromptTemplate {
  let text: string | undefined;
  if (ID.test(id)) {
    try {
      text = Deno.readTextFileSync(`${templatesDir}${id}.txt`);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  if (text === undefined) {
    const known = [...Deno.readDirSync(templatesDir)].map((e) => e.name.replace(/\.txt$/, ""));
    throw new UserError(
      "unknown_prompt",
      `unknown prompt '${id}'; known prompts: ${known.sort().join(", ")}`,
    );
  }
  return fromText(id, text);
}

/**
 * Fills the template's placeholders from `values`. Throws a UserError naming any placeholder
 * without a value, and any value the template does not use (a typo would otherwise be silent).
 */
export function renderPrompt(
  prompt: PromptTemplate,
  values: Record<string, string | number>,
): string {
  const missing = prompt.variables.filter((v) => values[v] === undefined);
  const unused = Object.keys(values).filter((k) => !prompt.variables.includes(k));
  if (missing.length > 0 || unused.length > 0) {
    const parts = [
      missing.length > 0 ? `needs ${missing.join(", ")}` : "",
      unused.length > 0 ? `does not use ${unused.join(", ")}` : "",
    ].filter(Boolean);
    throw new UserError("bad_prompt_values", `prompt '${prompt.id}' ${parts.join(" and ")}`);
  }
  return prompt.text.replace(PLACEHOLDER, (_, name: string) => String(values[name])).trim();
}
