import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { Dataset, DatasetCreate, type LabelHandling } from "../../shared/contracts/datasets.ts";
import type { Scan } from "../../shared/contracts/scans.ts";
import { UserError } from "../../shared/errors.ts";
import { getDocument, putDocument } from "../../shared/queue/documents.ts";
import { newId } from "../../shared/queue/ids.ts";
import { keys } from "../../shared/queue/keys.ts";
import { decodeVolume } from "../../shared/volume/mod.ts";
import type { EdgeDeps, TenantEnv } from "../env.ts";
import { checkSplits, scanUses } from "../datasets/check_splits.ts";
import { notFound } from "../errors.ts";
import { errorResponses, idParam, invalidRequest, jsonContent, tenantSecurity } from "./openapi.ts";
import { tenantScan } from "./scans.ts";

const createDataset = createRoute({
  method: "post",
  path: "/datasets",
  summary:
    "Create a dataset from uploaded scans (labelled pairs, unlabelled scans, test pairs); refuses " +
    "scans in the wrong role, in two places or uploaded twice, and labels that do not fit `labels`",
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

/**
 * The distinct values of a label's voxels, sorted; null when there are more than a label holds.
 * Tallied at upload for NIfTI (no decoding here: the edge never holds a whole label); HDF5 and
 * older scans are decoded, their size bounded by the upload limit.
 */
async function labelValues(deps: EdgeDeps, label: Scan): Promise<number[] | null> {
  if (label.distinctValues !== undefined) return label.distinctValues;
  const bytes = await deps.blob.read(label.blobKey);
  if (!bytes) throw notFound("scan file", label.id);
  const volume = await decodeVolume(
    bytes,
    label.format === "hdf5" ? `${label.name}#label` : label.name,
  );
  const seen = new Set<number>();
  for (const v of volume.data) {
    seen.add(v);
    if (seen.size > 256) return null;
  }
  return [...seen].sort((a, b) => a - b);
}

/** Refuses a label whose values do not fit the chosen handling, naming the values and the fix. */
function checkLabelValues(
  label: Scan,
  values: number[] | null,
  handling: LabelHandling,
): asserts values is number[] {
  if (values === null) {
    throw invalid(
      `label ${label.id} (${label.name}) holds more than 256 distinct values: a label holds ` +
        "classes, whole numbers 0-255 (is it an image?)",
    );
  }
  const notClass = values.find((v) => !Number.isInteger(v) || v < 0 || v > 255);
  if (notClass !== undefined) {
    throw invalid(
      `label ${label.id} (${label.name}) holds ${notClass}: a label holds classes, whole ` +
        "numbers 0-255 (is it an image?)",
    );
  }
  if (handling === "binary" && values.some((v) => v > 1)) {
    throw invalid(
      `label ${label.id} (${label.name}) holds the values ${values.join(", ")}, but a binary ` +
        "label holds only 0 and 1; choose labels 'foreground' (every non-zero class is the " +
        "structure) or 'classes' (keep them apart)",
    );
  }
}

async function checkPair(
  deps: EdgeDeps,
  image: Scan,
  label: Scan,
  handling: LabelHandling,
): Promise<number[]> {
  if (image.shape.join() !== label.shape.join()) {
    throw invalid(
      `image ${image.id} (${image.name}) is [${image.shape}] but its label ${label.id} ` +
        `(${label.name}) is [${label.shape}]`,
    );
  }
  const values = await labelValues(deps, label);
  checkLabelValues(label, values, handling);
  return values;
}

/** `/v1/datasets`: validated collections of the tenant's scans. */
export function datasetRoutes(deps: EdgeDeps): OpenAPIHono<TenantEnv> {
  const app = new OpenAPIHono<TenantEnv>({ defaultHook: invalidRequest });
  app.openapi(createDataset, async (c) => {
    const tenantId = c.get("tenant").id;
    const input = c.req.valid("json");
    const uses = scanUses(input);
    const scans = new Map<string, Scan>();
    for (const { scanId } of uses) {
      if (!scans.has(scanId)) scans.set(scanId, await tenantScan(deps, tenantId, scanId));
    }
    checkSplits(uses, scans);
    const found = new Set<number>();
    for (const pair of [...input.labelled, ...input.test]) {
      const values = await checkPair(
        deps,
        scans.get(pair.image)!,
        scans.get(pair.label)!,
        input.labels,
      );
      for (const v of values) found.add(v);
    }
    const dataset: Dataset = {
      ...input,
      labelValues: [...found].sort((a, b) => a - b),
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
