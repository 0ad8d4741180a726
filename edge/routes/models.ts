import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { type ModelVersion, PublicModel } from "../../shared/contracts/models.ts";
import { ModelRegistry } from "../../shared/queue/models.ts";
import type { EdgeDeps, TenantEnv } from "../env.ts";
import { notFound } from "../errors.ts";
import { errorResponses, idParam, invalidRequest, jsonContent, tenantSecurity } from "./openapi.ts";

const listModels = createRoute({
  method: "get",
  path: "/models",
  summary: "List the tenant's model versions, newest first",
  security: tenantSecurity,
  responses: {
    200: jsonContent(z.object({ models: z.array(PublicModel) }), "models"),
    ...errorResponses,
  },
});

const getModel = createRoute({
  method: "get",
  path: "/models/{id}",
  summary: "Show one immutable model version with its lineage",
  security: tenantSecurity,
  request: { params: idParam },
  responses: { 200: jsonContent(PublicModel, "the model version"), ...errorResponses },
});

function toPublic(model: ModelVersion): PublicModel {
  const { blobPrefix: _blobPrefix, ...rest } = model;
  return rest;
}

/** `/v1/models`: read-only; versions are created by training jobs. */
export function modelRoutes(deps: EdgeDeps): OpenAPIHono<TenantEnv> {
  const app = new OpenAPIHono<TenantEnv>({ defaultHook: invalidRequest });
  const registry = new ModelRegistry(deps.redis);
  app.openapi(
    listModels,
    async (c) => c.json({ models: (await registry.list(c.get("tenant").id)).map(toPublic) }, 200),
  );
  app.openapi(getModel, async (c) => {
    const { id } = c.req.valid("param");
    const model = await registry.get(c.get("tenant").id, id);
    if (!model) throw notFound("model", id);
    return c.json(toPublic(model), 200);
  });
  return app;
}
