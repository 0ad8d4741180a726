import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointCreate,
  WebhookEndpointCreated,
} from "../../shared/contracts/webhooks.ts";
import { listDeliveries, replayDelivery } from "../../shared/webhooks/dispatcher.ts";
import { WebhookEndpoints, withoutSecret } from "../../shared/webhooks/endpoints.ts";
import { checkWebhookTarget } from "../../shared/webhooks/ssrf.ts";
import type { EdgeDeps, TenantEnv } from "../env.ts";
import { notFound } from "../errors.ts";
import { errorResponses, idParam, invalidRequest, jsonContent, tenantSecurity } from "./openapi.ts";

const createEndpoint = createRoute({
  method: "post",
  path: "/webhooks",
  summary: "Register a webhook endpoint (the signing secret is shown once)",
  security: tenantSecurity,
  request: {
    body: { content: { "application/json": { schema: WebhookEndpointCreate } }, required: true },
  },
  responses: {
    201: jsonContent(WebhookEndpointCreated, "the endpoint with its secret"),
    ...errorResponses,
  },
});

const listEndpoints = createRoute({
  method: "get",
  path: "/webhooks",
  summary: "List webhook endpoints",
  security: tenantSecurity,
  responses: {
    200: jsonContent(z.object({ endpoints: z.array(WebhookEndpoint) }), "endpoints"),
    ...errorResponses,
  },
});

const getEndpoint = createRoute({
  method: "get",
  path: "/webhooks/{id}",
  summary: "Show a webhook endpoint",
  security: tenantSecurity,
  request: { params: idParam },
  responses: { 200: jsonContent(WebhookEndpoint, "the endpoint"), ...errorResponses },
});

const deleteEndpoint = createRoute({
  method: "delete",
  path: "/webhooks/{id}",
  summary: "Remove a webhook endpoint",
  security: tenantSecurity,
  request: { params: idParam },
  responses: { 204: { description: "removed" }, ...errorResponses },
});

const endpointDeliveries = createRoute({
  method: "get",
  path: "/webhooks/{id}/deliveries",
  summary: "The endpoint's delivery log: every attempt with its HTTP status",
  security: tenantSecurity,
  request: { params: idParam },
  responses: {
    200: jsonContent(
      z.object({ deliveries: z.array(WebhookDelivery) }),
      "deliveries, newest first",
    ),
    ...errorResponses,
  },
});

const replay = createRoute({
  method: "post",
  path: "/webhooks/{id}/deliveries/{deliveryId}/replay",
  summary: "Send a logged delivery again (same webhook-id)",
  security: tenantSecurity,
  request: { params: z.object({ id: z.string(), deliveryId: z.string() }) },
  responses: {
    202: jsonContent(WebhookDelivery, "the delivery, pending again"),
    ...errorResponses,
  },
});

/** `/v1/webhooks`: per-tenant endpoints (SSRF-checked at registration) and their delivery log. */
export function webhookRoutes(deps: EdgeDeps): OpenAPIHono<TenantEnv> {
  const app = new OpenAPIHono<TenantEnv>({ defaultHook: invalidRequest });
  const endpoints = new WebhookEndpoints(deps.redis);
  const tenantEndpoint = async (tenantId: string, id: string) => {
    const endpoint = await endpoints.get(tenantId, id);
    if (!endpoint) throw notFound("webhook endpoint", id);
    return endpoint;
  };
  app.openapi(createEndpoint, async (c) => {
    const { url, events } = c.req.valid("json");
    await checkWebhookTarget(url, deps.config.webhookPolicy);
    return c.json(await endpoints.create(c.get("tenant").id, url, events), 201);
  });
  app.openapi(
    listEndpoints,
    async (c) =>
      c.json({ endpoints: (await endpoints.list(c.get("tenant").id)).map(withoutSecret) }, 200),
  );
  app.openapi(
    getEndpoint,
    async (c) =>
      c.json(withoutSecret(await tenantEndpoint(c.get("tenant").id, c.req.valid("param").id)), 200),
  );
  app.openapi(deleteEndpoint, async (c) => {
    const tenantId = c.get("tenant").id;
    const endpoint = await tenantEndpoint(tenantId, c.req.valid("param").id);
    await endpoints.delete(tenantId, endpoint.id);
    return c.body(null, 204);
  });
  app.openapi(endpointDeliveries, async (c) => {
    const tenantId = c.get("tenant").id;
    const endpoint = await tenantEndpoint(tenantId, c.req.valid("param").id);
    return c.json({ deliveries: await listDeliveries(deps.redis, tenantId, endpoint.id) }, 200);
  });
  app.openapi(replay, async (c) => {
    const tenantId = c.get("tenant").id;
    const { id, deliveryId } = c.req.valid("param");
    const endpoint = await tenantEndpoint(tenantId, id);
    const logged = (await listDeliveries(deps.redis, tenantId, endpoint.id)).find((d) =>
      d.id === deliveryId
    );
    const replayed = logged && await replayDelivery(deps.redis, tenantId, logged.id);
    if (!replayed) throw notFound("delivery", deliveryId);
    return c.json(replayed, 202);
  });
  return app;
}
