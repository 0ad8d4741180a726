import { createHash } from "node:crypto";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { BlobStore } from "../../shared/blob/store.ts";
import { PublicScan, Scan, ScanRole } from "../../shared/contracts/scans.ts";
import { UserError } from "../../shared/errors.ts";
import { getDocument, putDocument } from "../../shared/queue/documents.ts";
import { keys } from "../../shared/queue/keys.ts";
import type { EdgeDeps, TenantEnv } from "../env.ts";
import { notFound } from "../errors.ts";
import { receiveScan } from "../scans/upload.ts";
import { UploadSlots } from "../scans/upload_slots.ts";
import { errorResponses, idParam, invalidRequest, jsonContent, tenantSecurity } from "./openapi.ts";

const uploadScan = createRoute({
  method: "post",
  path: "/scans",
  summary: "Upload a NIfTI (.nii, .nii.gz) or HDF5 (.h5) scan, streamed; the header is validated",
  security: tenantSecurity,
  request: {
    query: z.object({
      name: z.string().describe("file name; its extension picks the format"),
      role: ScanRole.optional().describe(
        "image or label: a dataset refuses the scan in the other role (MSD names both alike)",
      ),
    }),
    body: {
      content: { "application/octet-stream": { schema: z.string().meta({ format: "binary" }) } },
      required: true,
    },
  },
  responses: {
    201: jsonContent(PublicScan, "the accepted scan: id, shape, spacing, datatype"),
    413: jsonContent(
      z.object({ error: z.object({ code: z.string(), message: z.string() }) }),
      "over the upload size limit",
    ),
    422: jsonContent(
      z.object({ error: z.object({ code: z.string(), message: z.string() }) }),
      "not a valid volume",
    ),
    ...errorResponses,
  },
});

const listScans = createRoute({
  method: "get",
  path: "/scans",
  summary: "List the tenant's scans",
  security: tenantSecurity,
  responses: {
    200: jsonContent(z.object({ scans: z.array(PublicScan) }), "scans"),
    ...errorResponses,
  },
});

const getScan = createRoute({
  method: "get",
  path: "/scans/{id}",
  summary: "Show one scan",
  security: tenantSecurity,
  request: { params: idParam },
  responses: { 200: jsonContent(PublicScan, "the scan"), ...errorResponses },
});

const downloadScan = createRoute({
  method: "get",
  path: "/scans/{id}/file",
  summary: "Download the scan file as uploaded",
  security: tenantSecurity,
  request: { params: idParam },
  responses: {
    200: {
      content: { "application/octet-stream": { schema: z.string().meta({ format: "binary" }) } },
      description: "the file",
    },
    ...errorResponses,
  },
});

const deleteScan = createRoute({
  method: "delete",
  path: "/scans/{id}",
  summary: "Delete a scan and its file",
  security: tenantSecurity,
  request: { params: idParam },
  responses: { 204: { description: "deleted" }, ...errorResponses },
});

/** SHA-256 (hex) of a stored blob, read as a stream: same file uploaded twice, same digest. */
async function blobSha256(blob: BlobStore, key: string): Promise<string> {
  const body = await blob.get(key);
  if (!body) throw new Error(`blob ${key} vanished right after its upload`);
  const hash = createHash("sha256");
  for await (const chunk of body) hash.update(chunk);
  return hash.digest("hex");
}

/** The `role` query parameter, checked: absent, `image` or `label`. */
function roleOf(value: string | undefined): ScanRole | undefined {
  if (value === undefined) return undefined;
  const role = ScanRole.safeParse(value);
  if (!role.success) {
    throw new UserError("invalid_request", `role '${value}': expected 'image' or 'label'`);
  }
  return role.data;
}

function toPublic(scan: Scan): PublicScan {
  const { blobKey: _blobKey, ...rest } = scan;
  return rest;
}

/** Loads the tenant's scan or throws 404: the only way routes reach a scan. */
export async function tenantScan(deps: EdgeDeps, tenantId: string, id: string): Promise<Scan> {
  const scan = await getDocument(deps.redis, keys.scan(tenantId, id), Scan);
  if (!scan) throw notFound("scan", id);
  return scan;
}

/** `/v1/scans`: upload (streamed, validated), list, show, download, delete. */
export function scanRoutes(deps: EdgeDeps): OpenAPIHono<TenantEnv> {
  const app = new OpenAPIHono<TenantEnv>({ defaultHook: invalidRequest });
  // The body is a raw stream: documented through the route, read by hand (never buffered whole).
  app.openAPIRegistry.registerPath(uploadScan);
  const slots = new UploadSlots(deps.config.maxConcurrentUploads);
  app.post("/scans", async (c) => {
    const tenant = c.get("tenant");
    const name = c.req.query("name");
    if (!name) {
      throw new UserError("invalid_request", "query parameter `name` (the file name) is required");
    }
    const role = roleOf(c.req.query("role"));
    const length = c.req.header("content-length");
    const received = await slots.run(tenant.id, () =>
      receiveScan(
        tenant.id,
        name,
        c.req.raw.body,
        length ? Number(length) : undefined,
        {
          blob: deps.blob,
          spoolDir: deps.config.spoolDir,
          maxBytes: deps.config.maxUploadBytes,
          maxVoxels: tenant.limits.maxScanVoxels,
          idleTimeoutMs: deps.config.uploadIdleTimeoutMs,
        },
      ));
    const scan: Scan = {
      ...received,
      role,
      sha256: await blobSha256(deps.blob, received.blobKey),
    };
    await putDocument(deps.redis, keys.scan(tenant.id, scan.id), Scan, scan);
    await deps.redis.send("SADD", keys.scans(tenant.id), scan.id);
    return c.json(toPublic(scan), 201);
  });
  app.openapi(listScans, async (c) => {
    const tenantId = c.get("tenant").id;
    const ids = await deps.redis.send("SMEMBERS", keys.scans(tenantId)) as string[];
    const scans = await Promise.all(
      ids.map((id) => getDocument(deps.redis, keys.scan(tenantId, String(id)), Scan)),
    );
    const found = scans.filter((s): s is Scan => s !== undefined).sort((a, b) =>
      a.createdAt.localeCompare(b.createdAt)
    );
    return c.json({ scans: found.map(toPublic) }, 200);
  });
  app.openapi(getScan, async (c) => {
    const scan = await tenantScan(deps, c.get("tenant").id, c.req.valid("param").id);
    return c.json(toPublic(scan), 200);
  });
  app.openapi(downloadScan, async (c) => {
    const scan = await tenantScan(deps, c.get("tenant").id, c.req.valid("param").id);
    const body = await deps.blob.get(scan.blobKey);
    if (!body) throw notFound("scan file", scan.id);
    return new Response(body, {
      headers: {
        "content-type": "application/octet-stream",
        // RFC 6266: an ASCII fallback and the UTF-8 name (headers cannot carry raw Unicode).
        "content-disposition": `attachment; filename="${
          scan.name.replace(/[^\x20-\x7e]|"/g, "_")
        }"; filename*=UTF-8''${encodeURIComponent(scan.name)}`,
      },
    });
  });
  app.openapi(deleteScan, async (c) => {
    const tenantId = c.get("tenant").id;
    const scan = await tenantScan(deps, tenantId, c.req.valid("param").id);
    await deps.blob.delete(scan.blobKey);
    await deps.redis.send("DEL", keys.scan(tenantId, scan.id));
    await deps.redis.send("SREM", keys.scans(tenantId), scan.id);
    return c.body(null, 204);
  });
  return app;
}
