import { OpenAPIHono } from "@hono/zod-openapi";
import type { EdgeDeps, TenantEnv } from "./env.ts";
import { errorHandler } from "./errors.ts";
import { adminAuth, tenantAuth } from "./middleware/auth.ts";
import { rateLimit } from "./middleware/rate_limit.ts";
import { adminRoutes } from "./routes/admin.ts";
import { datasetRoutes } from "./routes/datasets.ts";
import { descriptorRoutes } from "./routes/descriptors.ts";
import { eventRoutes } from "./routes/events.ts";
import { jobRoutes } from "./routes/jobs.ts";
import { modelRoutes } from "./routes/models.ts";
import { scanRoutes } from "./routes/scans.ts";
import { webhookRoutes } from "./routes/webhooks.ts";
import { TenantStore } from "./tenants.ts";
import { webApp } from "./web/mod.ts";

/**
 * The edge: the versioned HTTP API (`/v1`) over injected Redis, blob store and config. It only
 * queues work and reads state; it never runs the learning core.
 *
 * @example
 * ```ts ignore
 * const app = createApp({ redis, blob, config: edgeConfig({ adminToken }) });
 * Deno.serve({ port: 8787 }, app.fetch);
 * ```
 */
export function createApp(deps: EdgeDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  app.onError(errorHandler);
  app.notFound((c) =>
    c.json({ error: { code: "not_found", message: `no route ${c.req.method} ${c.req.path}` } }, 404)
  );
  const tenants = new TenantStore(deps.redis);

  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "a tenant API key (`lsk_…`)",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "the operator token (LLMSEG_ADMIN_TOKEN)",
  });
  app.doc31("/v1/openapi.json", {
    openapi: "3.1.0",
    info: { title: "LLM-SegNet service", version: "1.0.0" },
  });
  app.get("/healthz", (c) => c.json({ ok: true }));

  // Operator routes: own middleware, mounted before the tenant routes so the tenant auth below
  // never sees them.
  const admin = new OpenAPIHono();
  admin.use("*", adminAuth(deps.config.adminToken));
  admin.route("/", adminRoutes(tenants));
  app.route("/v1/admin", admin);

  const api = new OpenAPIHono<TenantEnv>();
  api.use("*", tenantAuth(tenants), rateLimit(deps.redis));
  for (
    const routes of [
      scanRoutes,
      datasetRoutes,
      descriptorRoutes,
      jobRoutes,
      eventRoutes,
      modelRoutes,
      webhookRoutes,
    ]
  ) {
    api.route("/", routes(deps));
  }
  app.route("/v1", api);
  app.route("/", webApp()); // the web client: `/` and its assets under `/app/`
  return app;
}
