import { z } from "@hono/zod-openapi";
import { ErrorBody } from "../../shared/contracts/errors.ts";
import { UserError } from "../../shared/errors.ts";

/** An OpenAPI JSON response entry for `schema`. */
export function jsonContent<S extends z.ZodType>(
  schema: S,
  description: string,
): { content: { "application/json": { schema: S } }; description: string } {
  return { content: { "application/json": { schema } }, description };
}

/** The error answers every tenant route can give. */
export const errorResponses = {
  400: jsonContent(ErrorBody, "invalid request"),
  401: jsonContent(ErrorBody, "missing or unknown API key"),
  404: jsonContent(ErrorBody, "no such resource for this tenant"),
  429: jsonContent(ErrorBody, "rate limit or concurrent-job quota reached"),
} as const;

/** The `{id}` path parameter of the routes on one resource. */
export const idParam = z.object({ id: z.string() });

/** Security requirement of tenant routes. */
export const tenantSecurity = [{ apiKey: [] }];

/** Turns a zod validation failure into a 400 `invalid_request` naming the fields. */
export function invalidRequest(
  result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } },
): void {
  if (result.success || !result.error) return;
  const problems = result.error.issues.map((i) =>
    `${i.path.map(String).join(".") || "body"}: ${i.message}`
  );
  throw new UserError("invalid_request", problems.join("; "));
}
