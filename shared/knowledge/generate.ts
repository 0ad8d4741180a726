/**
 * LLM descriptor generation (docs/METHOD.md 1.3): sends a prompt from the registry to any
 * OpenAI-compatible chat-completions endpoint with a structured-output schema (exactly `count`
 * descriptors), checks the answer against {@link descriptorSetSchema} and returns a descriptor set
 * with its provenance. Free of CLI concerns: the CLI and the edge call it alike.
 *
 * Retries with exponential backoff on 429, 5xx and timeouts are the openai client's own (it honours
 * `retry-after` / `retry-after-ms`). Every failure the caller can act on is a {@link UserError}:
 * `llm_no_key`, `llm_unauthorized` (401/403), `llm_bad_request` (other 4xx, e.g. unknown model),
 * `llm_unavailable` (429/5xx after the retries), `llm_timeout`, `llm_unreachable`, `llm_refused`,
 * `llm_malformed`.
 */
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { z } from "zod";
import { UserError } from "../errors.ts";
import { type DescriptorSet, parseDescriptorSet, setIdSchema } from "./descriptor_set.ts";
import { loadPrompt, renderPrompt } from "./prompts.ts";

/** The shipped sets, named when no key is configured. */
const SHIPPED_SETS = "la, pancreas, brats, hippocampus";
/** The paper's prompts fix the count and length in their text (Table 1). */
const FIXED_PROMPT_REQUIREMENTS = { count: 15, minWords: 60 };
const SYSTEM_MESSAGE = "You are an expert radiologist and medical image analyst. Answer with " +
  "JSON that matches the given schema: one string per descriptive feature, in plain prose.";

/** Options of {@link generateDescriptors}. Unset connection options come from the environment. */
export interface GenerateDescriptorsOptions {
  /** Id of the resulting set (lower-case letters, digits, `-`), e.g. `spleen`. */
  id: string;
  /** The structure to segment, e.g. `spleen`. */
  structure: string;
  /** The imaging modality, e.g. `3D contrast-enhanced CT`. */
  modality: string;
  /** Prompt template id; default `generic-v1`. */
  promptId?: string;
  /** Landmarks to mention (generic prompt). */
  landmarks?: string;
  /** Neighbouring structures to mention (generic prompt). */
  neighbours?: string;
  /** Number of descriptors; default 15 (fixed at 15 for the paper's prompts). */
  count?: number;
  /** Minimum words per descriptor; default 60 (fixed at 60 for the paper's prompts). */
  minWords?: number;
  /** Model name; default `LLMSEG_LLM_MODEL` or `gpt-4o`. */
  model?: string;
  /** Endpoint base URL; default `OPENAI_BASE_URL` or the OpenAI API. */
  baseURL?: string;
  /** API key; default `OPENAI_API_KEY`. */
  apiKey?: string;
  /** Timeout of one request in milliseconds; default 120000. */
  timeoutMs?: number;
  /** Retries after a 429, 5xx or timeout; default 3. */
  maxRetries?: number;
  /** Cancels the request (e.g. when an HTTP client goes away): rejects with `APIUserAbortError`. */
  signal?: AbortSignal;
}

interface ResolvedPrompt {
  id: string;
  hash: string;
  text: string;
  count: number;
  minWords: number;
}

function resolvePrompt(options: GenerateDescriptorsOptions): ResolvedPrompt {
  const prompt = loadPrompt(options.promptId ?? "generic-v1");
  const usesCount = prompt.variables.includes("count");
  const count = options.count ?? FIXED_PROMPT_REQUIREMENTS.count;
  const minWords = options.minWords ?? FIXED_PROMPT_REQUIREMENTS.minWords;
  if (!usesCount && (count !== 15 || minWords !== 60)) {
    throw new UserError(
      "bad_prompt_values",
      `prompt '${prompt.id}' asks for 15 descriptors of at least 60 words; use generic-v1 for others`,
    );
  }
  const available: Record<string, string | number> = {
    structure: options.structure,
    modality: options.modality,
    landmarks: options.landmarks ?? "the anatomical landmarks that best delimit it",
    neighbours: options.neighbours ?? "that surround it in the image",
    count,
    minWords,
  };
  const values = Object.fromEntries(prompt.variables.map((v) => [v, available[v]]));
  return { id: prompt.id, hash: prompt.hash, text: renderPrompt(prompt, values), count, minWords };
}

/** The structured-output schema sent to the model. */
function answerSchema(count: number) {
  return z.object({ descriptors: z.array(z.string()).min(count).max(count) });
}

function toUserError(error: unknown, endpoint: string, retries: number): unknown {
  if (
    error instanceof OpenAI.AuthenticationError || error instanceof OpenAI.PermissionDeniedError
  ) {
    return new UserError(
      "llm_unauthorized",
      `${endpoint} refused the API key (${error.status}); check OPENAI_API_KEY`,
      { cause: error },
    );
  }
  if (error instanceof OpenAI.RateLimitError || error instanceof OpenAI.InternalServerError) {
    return new UserError(
      "llm_unavailable",
      `${endpoint} answered ${error.status} after ${retries} retries: ${error.message}`,
      { cause: error },
    );
  }
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new UserError(
      "llm_timeout",
      `${endpoint} did not answer in time (${retries} retries)`,
      { cause: error },
    );
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return new UserError("llm_unreachable", `cannot reach ${endpoint}: ${error.message}`, {
      cause: error,
    });
  }
  if (error instanceof OpenAI.APIError && error.status !== undefined && error.status < 500) {
    return new UserError("llm_bad_request", `${endpoint} rejected the request: ${error.message}`, {
      cause: error,
    });
  }
  return error;
}

function malformed(endpoint: string, problem: string): UserError {
  return new UserError("llm_malformed", `the answer from ${endpoint} ${problem}`);
}

/** Reads the descriptors out of one chat completion, or throws why it cannot. */
function descriptorsOf(completion: OpenAI.ChatCompletion, endpoint: string): string[] {
  const choice = completion.choices?.[0];
  if (!choice) throw malformed(endpoint, "has no choices");
  if (choice.message.refusal) {
    throw new UserError("llm_refused", `the model refused: ${choice.message.refusal}`);
  }
  if (choice.finish_reason === "length") throw malformed(endpoint, "was cut off (length limit)");
  if (choice.finish_reason === "content_filter") {
    throw new UserError("llm_refused", "the endpoint's content filter stopped the answer");
  }
  const content = choice.message.content;
  if (!content) throw malformed(endpoint, "is empty");
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    throw malformed(endpoint, `is not JSON: ${content.slice(0, 80)}`);
  }
  const shape = z.object({ descriptors: z.array(z.string()) }).safeParse(json);
  if (!shape.success) throw malformed(endpoint, "has no 'descriptors' array of strings");
  return shape.data.descriptors;
}

/**
 * Asks the LLM for a descriptor set and returns it validated, with provenance (prompt id, hash and
 * text, model, endpoint, date). Nothing is written; save it with `saveDescriptorSet`.
 *
 * @example
 * ```ts ignore
 * const set = await generateDescriptors({ id: "spleen", structure: "spleen", modality: "3D CT" });
 * ```
 */
export async function generateDescriptors(
  options: GenerateDescriptorsOptions,
): Promise<DescriptorSet> {
  if (!setIdSchema.safeParse(options.id).success) {
    throw new UserError(
      "bad_option",
      `set id '${options.id}': use lower-case letters, digits, '-'`,
    );
  }
  const prompt = resolvePrompt(options);
  const apiKey = options.apiKey ?? Deno.env.get("OPENAI_API_KEY");
  if (!apiKey) {
    throw new UserError(
      "llm_no_key",
      "no API key for descriptor generation: set OPENAI_API_KEY (and OPENAI_BASE_URL for an " +
        `OpenAI-compatible endpoint), or use a shipped descriptor set: ${SHIPPED_SETS}`,
    );
  }
  const baseURL = options.baseURL ?? Deno.env.get("OPENAI_BASE_URL") ??
    "https://api.openai.com/v1";
  const model = options.model ?? Deno.env.get("LLMSEG_LLM_MODEL") ?? "gpt-4o";
  const maxRetries = options.maxRetries ?? 3;
  const client = new OpenAI({
    apiKey,
    baseURL,
    maxRetries,
    timeout: options.timeoutMs ?? 120_000,
  });
  let completion: OpenAI.ChatCompletion;
  try {
    completion = await client.chat.completions.create({
      model,
      messages: [
        { role: "system", content: SYSTEM_MESSAGE },
        { role: "user", content: prompt.text },
      ],
      response_format: zodResponseFormat(answerSchema(prompt.count), "descriptors"),
    }, { signal: options.signal });
  } catch (error) {
    throw toUserError(error, baseURL, maxRetries);
  }
  const set = {
    schema: "llmseg.descriptor-set/v1" as const,
    id: options.id,
    task: `${options.structure} on ${options.modality}`,
    structure: options.structure,
    modality: options.modality,
    requirements: { count: prompt.count, minWords: prompt.minWords },
    descriptors: descriptorsOf(completion, baseURL),
    provenance: {
      prompt: { id: prompt.id, hash: prompt.hash, text: prompt.text },
      author: { kind: "llm" as const, model: completion.model || model, endpoint: baseURL },
      createdAt: new Date().toISOString(),
    },
  };
  try {
    return parseDescriptorSet(set, `the answer from ${baseURL}`);
  } catch (error) {
    throw new UserError("llm_malformed", (error as Error).message, { cause: error });
  }
}
