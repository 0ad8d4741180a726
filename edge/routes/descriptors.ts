import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { DescriptorGenerate, DescriptorSetListing } from "../../shared/contracts/descriptors.ts";
import { UserError } from "../../shared/errors.ts";
import {
  type DescriptorSet,
  descriptorSetHash,
  descriptorSetSchema,
  listDescriptorSets,
} from "../../shared/knowledge/descriptor_set.ts";
import { generateDescriptors } from "../../shared/knowledge/generate.ts";
import { getDocument, putDocument } from "../../shared/queue/documents.ts";
import { keys } from "../../shared/queue/keys.ts";
import { resolveDescriptorSet } from "../../shared/queue/descriptor_sets.ts";
import type { EdgeDeps, TenantEnv } from "../env.ts";
import { errorResponses, idParam, invalidRequest, jsonContent, tenantSecurity } from "./openapi.ts";

const generate = createRoute({
  method: "post",
  path: "/descriptors",
  summary: "Generate a descriptor set for a task with the LLM (docs/METHOD.md 1.3)",
  security: tenantSecurity,
  request: {
    body: { content: { "application/json": { schema: DescriptorGenerate } }, required: true },
  },
  responses: {
    201: jsonContent(descriptorSetSchema, "the validated set with its provenance"),
    409: jsonContent(
      z.object({ error: z.object({ code: z.string(), message: z.string() }) }),
      "the id is taken",
    ),
    ...errorResponses,
  },
});

const list = createRoute({
  method: "get",
  path: "/descriptors",
  summary: "List the tenant's descriptor sets and the shipped ones",
  security: tenantSecurity,
  responses: {
    200: jsonContent(z.object({ sets: z.array(DescriptorSetListing) }), "sets"),
    ...errorResponses,
  },
});

const show = createRoute({
  method: "get",
  path: "/descriptors/{id}",
  summary: "Show a descriptor set (the tenant's own, else a shipped one)",
  security: tenantSecurity,
  request: { params: idParam },
  responses: { 200: jsonContent(descriptorSetSchema, "the set"), ...errorResponses },
});

function listing(set: DescriptorSet, owner: "tenant" | "shipped"): DescriptorSetListing {
  const { id, structure, modality } = set;
  return {
    id,
    structure,
    modality,
    count: set.descriptors.length,
    hash: descriptorSetHash(set),
    owner,
  };
}

/** `/v1/descriptors`: LLM descriptor sets per tenant, plus the shipped ones read-only. */
export function descriptorRoutes(deps: EdgeDeps): OpenAPIHono<TenantEnv> {
  const app = new OpenAPIHono<TenantEnv>({ defaultHook: invalidRequest });
  app.openapi(generate, async (c) => {
    const tenantId = c.get("tenant").id;
    const input = c.req.valid("json");
    if (await deps.redis.send("EXISTS", keys.descriptorSet(tenantId, input.id)) === 1) {
      throw new UserError(
        "conflict",
        `descriptor set '${input.id}' exists; sets are immutable, pick another id`,
      );
    }
    // A client that hangs up cancels the (paid) LLM call. The root deno.json opts into Deno's
    // `no-legacy-abort`: the request's signal fires on disconnect only, not after a response.
    const set = await generateDescriptors({
      ...input,
      ...deps.config.llm,
      signal: c.req.raw.signal,
    });
    await putDocument(deps.redis, keys.descriptorSet(tenantId, set.id), descriptorSetSchema, set);
    await deps.redis.send("SADD", keys.descriptorSets(tenantId), set.id);
    return c.json(set, 201);
  });
  app.openapi(list, async (c) => {
    const tenantId = c.get("tenant").id;
    const ids = await deps.redis.send("SMEMBERS", keys.descriptorSets(tenantId)) as string[];
    const own = await Promise.all(
      ids.map((id) =>
        getDocument(deps.redis, keys.descriptorSet(tenantId, String(id)), descriptorSetSchema)
      ),
    );
    const sets = own.filter((s): s is DescriptorSet => s !== undefined).map((s) =>
      listing(s, "tenant")
    );
    for (const shipped of await listDescriptorSets()) {
      if (!sets.some((s) => s.id === shipped.id)) {
        const { id, structure, modality, count, hash } = shipped;
        sets.push({ id, structure, modality, count, hash, owner: "shipped" });
      }
    }
    return c.json({ sets }, 200);
  });
  app.openapi(
    show,
    async (c) =>
      c.json(
        await resolveDescriptorSet(deps.redis, c.get("tenant").id, c.req.valid("param").id),
        200,
      ),
  );
  return app;
}
