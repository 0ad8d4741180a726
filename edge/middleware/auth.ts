import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "node:crypto";
import { UserError } from "../../shared/errors.ts";
import type { TenantEnv } from "../env.ts";
import type { TenantStore } from "../tenants.ts";

function bearer(header: string | undefined): string {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match) {
    throw new UserError("unauthorized", "send `Authorization: Bearer <API key>`");
  }
  return match[1];
}

/**
 * Authenticates a tenant API key (`Authorization: Bearer lsk_…`) and puts the tenant on the
 * context; every tenant route reads it from there and nowhere else.
 */
export function tenantAuth(tenants: TenantStore): MiddlewareHandler<TenantEnv> {
  return async (c, next) => {
    const tenant = await tenants.resolveKey(bearer(c.req.header("authorization")));
    if (!tenant) throw new UserError("unauthorized", "unknown or revoked API key");
    c.set("tenant", tenant);
    await next();
  };
}

/** Checks the operator token of `/v1/admin` routes in constant time. */
export function adminAuth(adminToken: string): MiddlewareHandler {
  const expected = new TextEncoder().encode(adminToken);
  return async (c, next) => {
    const given = new TextEncoder().encode(bearer(c.req.header("authorization")));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new UserError("forbidden", "wrong admin token");
    }
    await next();
  };
}
