import { UserError } from "../errors.ts";
import {
  type DescriptorSet,
  descriptorSetSchema,
  loadDescriptorSet,
} from "../knowledge/descriptor_set.ts";
import { getDocument } from "./documents.ts";
import { keys } from "./keys.ts";
import type { RedisClient } from "./redis.ts";

/**
 * The tenant's descriptor set `id` (`t:{tid}:descriptor:{id}`), else the shipped set of that id;
 * a UserError `unknown_descriptor_set` otherwise. Edge and worker resolve ids the same way.
 */
export async function resolveDescriptorSet(
  redis: RedisClient,
  tenantId: string,
  id: string,
): Promise<DescriptorSet> {
  const own = await getDocument(redis, keys.descriptorSet(tenantId, id), descriptorSetSchema);
  if (own) return own;
  const unknown = new UserError("unknown_descriptor_set", `no descriptor set '${id}'`);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) throw unknown;
  try {
    return await loadDescriptorSet(id);
  } catch (error) {
    if (error instanceof UserError) throw unknown;
    throw error;
  }
}
