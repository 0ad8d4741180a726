import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { blobKeys, resultFiles } from "../../shared/blob/keys.ts";
import { Dataset } from "../../shared/contracts/datasets.ts";
import { JobRecord, JobRequest, ResultName } from "../../shared/contracts/jobs.ts";
import {
  checkInferenceSettings,
  type InferenceAsk,
  traitsOfTrainConfig,
} from "../../shared/contracts/inference.ts";
import type { Tenant } from "../../shared/contracts/tenants.ts";
import { UserError } from "../../shared/errors.ts";
import { getDocument } from "../../shared/queue/documents.ts";
import { JobStore } from "../../shared/queue/jobs.ts";
import { keys } from "../../shared/queue/keys.ts";
import { ModelRegistry } from "../../shared/queue/models.ts";
import { resolveDescriptorSet } from "../../shared/queue/descriptor_sets.ts";
import { emitWebhookEvent } from "../../shared/webhooks/dispatcher.ts";
import type { EdgeDeps, TenantEnv } from "../env.ts";
import { notFound } from "../errors.ts";
import { errorResponses, idParam, invalidRequest, jsonContent, tenantSecurity } from "./openapi.ts";
import { tenantScan } from "./scans.ts";
import { resolveTrainRequest } from "../../gpu-worker/worker/train_request.ts";

const submitJob = createRoute({
  method: "post",
  path: "/jobs",
  summary: "Submit a train, infer or evaluate job (honours Idempotency-Key)",
  security: tenantSecurity,
  request: {
    headers: z.object({ "idempotency-key": z.string().min(1).max(200).optional() }),
    body: { content: { "application/json": { schema: JobRequest } }, required: true },
  },
  responses: {
    202: jsonContent(JobRecord, "the queued (or, on a replay, existing) job"),
    ...errorResponses,
  },
});

const listJobs = createRoute({
  method: "get",
  path: "/jobs",
  summary: "List the tenant's recent jobs",
  security: tenantSecurity,
  responses: {
    200: jsonContent(z.object({ jobs: z.array(JobRecord) }), "jobs, newest first"),
    ...errorResponses,
  },
});

const getJob = createRoute({
  method: "get",
  path: "/jobs/{id}",
  summary: "Job status",
  security: tenantSecurity,
  request: { params: idParam },
  responses: { 200: jsonContent(JobRecord, "the job"), ...errorResponses },
});

const cancelJob = createRoute({
  method: "post",
  path: "/jobs/{id}/cancel",
  summary: "Cancel a job (queued: at once; running: at the worker's next check)",
  security: tenantSecurity,
  request: { params: idParam },
  responses: { 202: jsonContent(JobRecord, "the job after the request"), ...errorResponses },
});

const getResult = createRoute({
  method: "get",
  path: "/jobs/{id}/results/{name}",
  summary: "Download a result: mask / probabilities / uncertainty (NIfTI), metrics / model (JSON)",
  security: tenantSecurity,
  request: { params: z.object({ id: z.string(), name: ResultName }) },
  responses: {
    200: {
      content: { "application/octet-stream": { schema: z.string().meta({ format: "binary" }) } },
      description: "the result file",
    },
    ...errorResponses,
  },
});

/**
 * Every id a request names must be the tenant's own (otherwise 404, as if it did not exist), a
 * training's whole configuration must be valid and within the tenant's limits, and inference
 * settings must suit the model (422): a job that would fail or overrun is refused now, not after
 * it waited in the queue.
 */
async function checkRequest(deps: EdgeDeps, tenant: Tenant, request: JobRequest): Promise<void> {
  const tenantId = tenant.id;
  const models = new ModelRegistry(deps.redis);
  const dataset = async (id: string) => {
    if (!await getDocument(deps.redis, keys.dataset(tenantId, id), Dataset)) {
      throw notFound("dataset", id);
    }
  };
  const model = async (id: string, settings: InferenceAsk) => {
    const version = await models.get(tenantId, id);
    if (!version) throw notFound("model", id);
    // A record that does not say what the model is leaves the check to the worker.
    const traits = traitsOfTrainConfig(version.lineage.config);
    if (traits) checkInferenceSettings(traits, settings);
  };
  if (request.kind === "infer") {
    await tenantScan(deps, tenantId, request.scanId);
    await model(request.modelId, request);
  } else if (request.kind === "evaluate") {
    await model(request.modelId, request);
    await dataset(request.datasetId);
  } else {
    resolveTrainRequest(request, tenant.limits);
    if (request.datasetId) await dataset(request.datasetId);
    if (request.descriptorSetId) {
      await resolveDescriptorSet(deps.redis, tenantId, request.descriptorSetId);
    }
  }
}

/** The tenant's job or 404. */
export async function tenantJob(store: JobStore, tenantId: string, id: string): Promise<JobRecord> {
  const job = await store.get(tenantId, id);
  if (!job) throw notFound("job", id);
  return job;
}

/** `/v1/jobs`: submit (idempotent, quota-checked), list, status, cancel, results. */
export function jobRoutes(deps: EdgeDeps): OpenAPIHono<TenantEnv> {
  const app = new OpenAPIHono<TenantEnv>({ defaultHook: invalidRequest });
  const store = new JobStore(deps.redis);

  app.openapi(submitJob, async (c) => {
    const tenant = c.get("tenant");
    const request = c.req.valid("json");
    await checkRequest(deps, tenant, request);
    const { job, created } = await store.submit(tenant.id, request, {
      idempotencyKey: c.req.valid("header")["idempotency-key"],
      maxConcurrentJobs: tenant.maxConcurrentJobs,
    });
    if (created) {
      await emitWebhookEvent(deps.redis, tenant.id, "job.queued", {
        jobId: job.id,
        kind: job.kind,
      });
    } else {
      c.header("idempotent-replayed", "true");
    }
    c.header("location", `/v1/jobs/${job.id}`);
    return c.json(job, 202);
  });
  app.openapi(listJobs, async (c) => c.json({ jobs: await store.list(c.get("tenant").id) }, 200));
  app.openapi(
    getJob,
    async (c) => c.json(await tenantJob(store, c.get("tenant").id, c.req.valid("param").id), 200),
  );
  app.openapi(cancelJob, async (c) => {
    const tenantId = c.get("tenant").id;
    const job = await tenantJob(store, tenantId, c.req.valid("param").id);
    return c.json(await store.requestCancel(tenantId, job.id) ?? job, 202);
  });
  app.openapi(getResult, async (c) => {
    const tenantId = c.get("tenant").id;
    const { id, name } = c.req.valid("param");
    const job = await tenantJob(store, tenantId, id);
    if (!job.results.includes(name)) {
      throw new UserError(
        "not_ready",
        `job ${id} has no '${name}' result (status ${job.status}; results: ${
          job.results.join(", ") || "none"
        })`,
      );
    }
    const body = await deps.blob.get(blobKeys.result(tenantId, id, name));
    if (!body) throw notFound("result", `${id}/${name}`);
    const file = resultFiles[name];
    return new Response(body, {
      headers: {
        "content-type": file.endsWith(".json") ? "application/json" : "application/gzip",
        "content-disposition": `attachment; filename="${id}-${file}"`,
      },
    });
  });
  return app;
}
