import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiKeyCreated, ApiKeyInfo, Tenant, TenantCreate } from "../../shared/contracts/tenants.ts";
import { UserError } from "../../shared/errors.ts";
import { notFound } from "../errors.ts";
import type { TenantStore } from "../tenants.ts";
import { errorResponses, invalidRequest, jsonContent } from "./openapi.ts";

const security = [{ adminToken: [] }];

const createTenant = createRoute({
  method: "post",
  path: "/tenants",
  summary: "Create a tenant (operator)",
  security,
  request: { body: { content: { "application/json": { schema: TenantCreate } }, required: true } },
  responses: { 201: jsonContent(Tenant, "the new tenant"), ...errorResponses },
});

const createKey = createRoute({
  method: "post",
  path: "/tenants/{tenantId}/keys",
  summary: "Mint an API key for a tenant (shown once; stored hashed)",
  security,
  request: { params: z.object({ tenantId: z.string() }) },
  responses: { 201: jsonContent(ApiKeyCreated, "the key, shown this once"), ...errorResponses },
});

const listKeys = createRoute({
  method: "get",
  path: "/tenants/{tenantId}/keys",
  summary: "List a tenant's API keys (ids and dates; keys are never shown again)",
  security,
  request: { params: z.object({ tenantId: z.string() }) },
  responses: {
    200: jsonContent(z.object({ keys: z.array(ApiKeyInfo) }), "the keys"),
    ...errorResponses,
  },
});

const revokeKey = createRoute({
  method: "delete",
  path: "/tenants/{tenantId}/keys/{keyId}",
  summary: "Revoke an API key (effective at once)",
  security,
  request: { params: z.object({ tenantId: z.string(), keyId: z.string() }) },
  responses: { 204: { description: "revoked" }, ...errorResponses },
});

/** Operator routes under `/v1/admin` (the caller adds the admin-token middleware). */
export function adminRoutes(tenants: TenantStore): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: invalidRequest });
  app.openapi(createTenant, async (c) => c.json(await tenants.create(c.req.valid("json")), 201));
  app.openapi(createKey, async (c) => {
    const { tenantId } = c.req.valid("param");
    if (!await tenants.get(tenantId)) throw notFound("tenant", tenantId);
    return c.json(await tenants.createKey(tenantId), 201);
  });
  app.openapi(listKeys, async (c) => {
    const { tenantId } = c.req.valid("param");
    if (!await tenants.get(tenantId)) throw notFound("tenant", tenantId);
    return c.json({ keys: await tenants.listKeys(tenantId) }, 200);
  });
  app.openapi(revokeKey, async (c) => {
    const { tenantId, keyId } = c.req.valid("param");
    if (!await tenants.revokeKey(tenantId, keyId)) throw notFound("API key", keyId);
    return c.body(null, 204);
  });
  // Unknown operator paths: a 404 of their own, never the tenant routes' "unknown API key".
  app.all("*", (c) => {
    throw new UserError("not_found", `no route ${c.req.method} ${c.req.path}`);
  });
  return app;
}
