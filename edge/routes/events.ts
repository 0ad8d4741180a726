import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { finalStatuses } from "../../shared/contracts/jobs.ts";
import { JobStore } from "../../shared/queue/jobs.ts";
import type { EdgeDeps, TenantEnv } from "../env.ts";
import { errorResponses, idParam, invalidRequest, tenantSecurity } from "./openapi.ts";
import { tenantJob } from "./jobs.ts";

const keepAliveMs = 15_000;

const streamEvents = createRoute({
  method: "get",
  path: "/jobs/{id}/events",
  summary: "Job progress as Server-Sent Events; resumes after `Last-Event-ID`",
  security: tenantSecurity,
  request: {
    params: idParam,
    headers: z.object({ "last-event-id": z.string().regex(/^\d+-\d+$/).optional() }),
  },
  responses: {
    200: {
      content: { "text/event-stream": { schema: z.string() } },
      description: "events `progress` and `status`; the stream ends after a final status",
    },
    ...errorResponses,
  },
});

/**
 * `/v1/jobs/{id}/events`: replays the job's event stream as SSE, then follows it by polling
 * (XRANGE after the last id; REST-friendly, no blocking read). The Redis stream id is the SSE
 * `id:`, so a reconnecting client's `Last-Event-ID` resumes exactly where it stopped.
 */
export function eventRoutes(deps: EdgeDeps): OpenAPIHono<TenantEnv> {
  const app = new OpenAPIHono<TenantEnv>({ defaultHook: invalidRequest });
  const store = new JobStore(deps.redis);
  app.openapi(streamEvents, async (c) => {
    const tenantId = c.get("tenant").id;
    const job = await tenantJob(store, tenantId, c.req.valid("param").id);
    let after = c.req.valid("header")["last-event-id"] ?? "0";
    return streamSSE(c, async (stream) => {
      let open = true;
      stream.onAbort(() => {
        open = false;
      });
      let lastWrite = Date.now();
      while (open) {
        const events = await store.events(tenantId, job.id, after);
        for (const { id, event } of events) {
          await stream.writeSSE({ id, event: event.type, data: JSON.stringify(event) });
          after = id;
          lastWrite = Date.now();
          if (event.type === "status" && finalStatuses.includes(event.status)) return;
        }
        if (events.length > 0) continue;
        const current = await store.get(tenantId, job.id);
        if (current && !finalStatuses.includes(current.status)) {
          // A comment line now and then keeps proxies from closing a quiet stream (long trainings).
          if (Date.now() - lastWrite > keepAliveMs) {
            await stream.write(": keep-alive\n\n");
            lastWrite = Date.now();
          }
          await stream.sleep(deps.config.ssePollMs);
          continue;
        }
        // Final (or gone) with nothing after `after`: read once more in case the final event
        // landed between the two reads, else the final event was trimmed, so restate the status.
        if ((await store.events(tenantId, job.id, after, 1)).length > 0) continue;
        if (current) {
          const { status, error } = current;
          await stream.writeSSE({
            event: "status",
            data: JSON.stringify({ type: "status", status, error }),
          });
        }
        return;
      }
    });
  });
  return app;
}
