import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { UserError } from "../shared/errors.ts";
import { RedisUnavailable } from "../shared/queue/redis.ts";

/** HTTP status of each {@link UserError} code; codes not listed answer 400. */
const statusOfCode: Record<string, ContentfulStatusCode> = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  unknown_descriptor_set: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_volume: 422,
  invalid_dataset: 422,
  bad_config: 422,
  // Settings valid in themselves that the named model cannot honour (one network, no flips).
  unsupported_by_model: 422,
  limit_exceeded: 422,
  idempotency_mismatch: 422,
  invalid_webhook_url: 422,
  webhook_target_refused: 422,
  not_ready: 409,
  upload_timeout: 408,
  rate_limited: 429,
  too_many_uploads: 429,
  quota_exceeded: 429,
  // The LLM behind descriptor generation failed or is not configured: not the caller's fault.
  llm_no_key: 503,
  llm_unauthorized: 502,
  llm_unavailable: 502,
  llm_unreachable: 502,
  llm_timeout: 504,
  llm_refused: 502,
  llm_malformed: 502,
};

/** A 404 that says what was not found, without saying whether it exists for someone else. */
export function notFound(what: string, id: string): UserError {
  return new UserError("not_found", `no ${what} '${id}'`);
}

/** Answers every error as `{error: {code, message}}`; user mistakes as 4xx, bugs as 500. */
export function errorHandler(error: Error, c: Context): Response {
  if (error instanceof UserError) {
    const status = statusOfCode[error.code] ?? 400;
    const headers: Record<string, string> = {};
    if (status === 401) headers["www-authenticate"] = 'Bearer realm="llmseg"';
    return c.json({ error: { code: error.code, message: error.message } }, status, headers);
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    return c.json({ error: { code: `http_${status}`, message: error.message } }, status);
  }
  if (error instanceof RedisUnavailable) {
    // The store is down or restarting: the client should come back, not report a bug.
    return c.json(
      { error: { code: "unavailable", message: "the job store is unavailable; retry shortly" } },
      503,
      { "retry-after": "5" },
    );
  }
  console.error("edge: unhandled error", error);
  return c.json({ error: { code: "internal", message: "internal error" } }, 500);
}
