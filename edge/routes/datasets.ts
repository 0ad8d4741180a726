import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { Dataset, DatasetCreate, type ScanPair } from "../../shared/contracts/datasets.ts";
import type { Scan } from "../../shared/contracts/scans.ts";
import { UserError } from "../../shared/errors.ts";
import { getDocument, putDocument } from "../../shared/queue/documents.ts";
import { newId } from "../../shared/queue/ids.ts";
import { keys } from "../../shared/queue/keys.ts";
import { decodeVolume } from "../../shared/volume/mod.ts";
import type { EdgeDeps, TenantEnv } from "../env.ts";
import { notFound } from "../errors.ts";
import { errorResponses, idParam, invalidRequest, jsonContent, tenantSecurity } from "./openapi.ts";
import { tenantScan } from "./scans.ts";

const createDataset = createRoute({
  method: "post",
  path: "/datasets",
  summary: "Create a dataset from uploaded scans (labelled pairs, unlabelled scans, test pairs)",
  security: tenantSecurity,
  request: { body: { content: { "application/json": { schema: DatasetCreate } }, required: true } },
  responses: { 201: jsonContent(Dataset, "the validated dataset"), ...errorResponses },
});

const listDatasets = createRoute({
  method: "get",
  path: "/datasets",
  summary: "List the tenant's datasets",
  security: tenantSecurity,
  responses: {
    200: jsonContent(z.object({ datasets: z.array(Dataset) }), "datasets"),
    ...errorResponses,
  },
});

const getDataset = createRoute({
  method: "get",
  path: "/datasets/{id}",
  summary: "Show one dataset",
  security: tenantSecurity,
  request: { params: idParam },
  responses: { 200: jsonContent(Dataset, "the dataset"), ...errorResponses },
});

function invalid(message: string): UserError {
  return new UserError("invalid_dataset", message);
}

/** Checks a label's voxels: {0, 1} for a binary task, non-negative integers when multi-label. */
async function checkLabelValues(deps: EdgeDeps, label: Scan, multiLabel: boolean): Promise<void> {
  const bytes = await deps.blob.read(label.blobKey);
  if (!bytes) throw notFound("scan file", label.id);
  const volume = await decodeVolume(
    bytes,
    label.format === "hdf5" ? `${label.name}#label` : label.name,
  );
  const seen = new Set<number>();
  for (const v of volume.data) {
    seen.add(v);
    if (seen.size > 256) break;
  }
  const values = [...seen].sort((a, b) => a - b);
  const bad = values.find((v) => !Number.isInteger(v) || v < 0 || (!multiLabel && v > 1));
  if (bad !== undefined) {
    throw invalid(
      `label ${label.id} (${label.name}) holds ${bad}; ` +
        (multiLabel
          ? "labels must be non-negative integers"
          : "a binary label holds only 0 and 1 (or set multiLabel)"),
    );
  }
}

async function checkPair(
  deps: EdgeDeps,
  tenantId: string,
  pair: ScanPair,
  multiLabel: boolean,
): Promise<void> {
  const image = await tenantScan(deps, tenantId, pair.image);
  const label = await tenantScan(deps, tenantId, pair.label);
  if (image.shape.join() !== label.shape.join()) {
    throw invalid(
      `image ${image.id} is [${image.shape}] but its label ${label.id} is [${label.shape}]`,
    );
  }
  await checkLabelValues(deps, label, multiLabel);
}

/** `/v1/datasets`: validated collections of the tenant's scans. */
export function datasetRoutes(deps: EdgeDeps): OpenAPIHono<TenantEnv> {
  const app = new OpenAPIHono<TenantEnv>({ defaultHook: invalidRequest });
  app.openapi(createDataset, async (c) => {
    const tenantId = c.get("tenant").id;
    const input = c.req.valid("json");
    for (const pair of [...input.labelled, ...input.test]) {
      await checkPair(deps, tenantId, pair, input.multiLabel);
    }
    for (const id of input.unlabelled) await tenantScan(deps, tenantId, id);
    const dataset: Dataset = {
      ...input,
      id: newId("ds"),
      tenantId,
      createdAt: new Date().toISOString(),
    };
    await putDocument(deps.redis, keys.dataset(tenantId, dataset.id), Dataset, dataset);
    await deps.redis.send("SADD", keys.datasets(tenantId), dataset.id);
    return c.json(dataset, 201);
  });
  app.openapi(listDatasets, async (c) => {
    const tenantId = c.get("tenant").id;
    const ids = await deps.redis.send("SMEMBERS", keys.datasets(tenantId)) as string[];
    const all = await Promise.all(
      ids.map((id) => getDocument(deps.redis, keys.dataset(tenantId, String(id)), Dataset)),
    );
    return c.json({ datasets: all.filter((d): d is Dataset => d !== undefined) }, 200);
  });
  app.openapi(getDataset, async (c) => {
    const tenantId = c.get("tenant").id;
    const { id } = c.req.valid("param");
    const dataset = await getDocument(deps.redis, keys.dataset(tenantId, id), Dataset);
    if (!dataset) throw notFound("dataset", id);
    return c.json(dataset, 200);
  });
  return app;
}
