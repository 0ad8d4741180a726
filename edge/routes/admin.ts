import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiKeyCreated, Tenant, TenantCreate } from "../../shared/contracts/tenants.ts";
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

/** Operator routes under `/v1/admin` (the caller adds the admin-token middleware). */
export function adminRoutes(tenants: TenantStore): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: invalidRequest });
  app.openapi(createTenant, async (c) => c.json(await tenants.create(c.req.valid("json")), 201));
  app.openapi(createKey, async (c) => {
    const { tenantId } = c.req.valid("param");
    if (!await tenants.get(tenantId)) throw notFound("tenant", tenantId);
    return c.json(await tenants.createKey(tenantId), 201);
  });
  return app;
}
