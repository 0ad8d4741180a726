import type { TargetPolicy } from "../shared/webhooks/ssrf.ts";

/** Settings of one edge process. */
export interface EdgeConfig {
  /** Bearer token of the operator routes under `/v1/admin`. */
  adminToken: string;
  /** Largest scan upload accepted, in bytes. */
  maxUploadBytes: number;
  /** An upload that sends nothing for this long is abandoned (408), in ms. */
  uploadIdleTimeoutMs: number;
  /** Uploads one tenant may have in flight at once on this edge process (more: 429). */
  maxConcurrentUploads: number;
  /** Where uploads are spooled while they are validated (a local temp folder). */
  spoolDir: string;
  /** How often the SSE handler polls a job's event stream, in ms. */
  ssePollMs: number;
  /** SSRF policy for webhook URLs (tests allow loopback over HTTP). */
  webhookPolicy: TargetPolicy;
  /**
   * The OpenAI-compatible endpoint of descriptor generation; unset fields fall back to
   * `OPENAI_BASE_URL`, `OPENAI_API_KEY`, `LLMSEG_LLM_MODEL` (see shared/knowledge/generate.ts).
   */
  llm: { baseURL?: string; apiKey?: string; model?: string; maxRetries?: number };
}

/** Defaults for everything but the admin token. */
export function edgeConfig(overrides: Partial<EdgeConfig> & { adminToken: string }): EdgeConfig {
  if (overrides.adminToken.length < 16) {
    throw new Error("the admin token must be at least 16 characters (set LLMSEG_ADMIN_TOKEN)");
  }
  return {
    maxUploadBytes: 512 * 1024 ** 2,
    uploadIdleTimeoutMs: 30_000,
    maxConcurrentUploads: 8,
    spoolDir: Deno.env.get("TMPDIR") ?? "/tmp",
    ssePollMs: 250,
    webhookPolicy: {},
    llm: {},
    ...overrides,
  };
}
