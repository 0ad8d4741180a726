import { ModelVersion } from "../contracts/models.ts";
import { getDocument } from "./documents.ts";
import { keys } from "./keys.ts";
import type { RedisClient } from "./redis.ts";

/** Immutable model versions with lineage (`t:{tid}:model:{id}`), numbered per tenant. */
export class ModelRegistry {
  constructor(private readonly redis: RedisClient) {}

  /**
   * Records a new version under `id` (the worker derives it from the training job, so a
   * redelivered job cannot register twice); written once, never updated.
   */
  async create(
    tenantId: string,
    id: string,
    lineage: ModelVersion["lineage"],
    blobPrefix: string,
  ): Promise<ModelVersion> {
    const version = Number(await this.redis.send("INCR", keys.modelSequence(tenantId)));
    const model: ModelVersion = {
      id,
      tenantId,
      version,
      lineage,
      blobPrefix,
      createdAt: new Date().toISOString(),
    };
    // SET NX: a version is never overwritten; a second create answers the first version.
    const stored = await this.redis.send(
      "SET",
      keys.model(tenantId, id),
      JSON.stringify(ModelVersion.parse(model)),
      "NX",
    );
    if (stored === null) return (await this.get(tenantId, id))!;
    await this.redis.send("ZADD", keys.models(tenantId), version, id);
    return model;
  }

  get(tenantId: string, id: string): Promise<ModelVersion | undefined> {
    return getDocument(this.redis, keys.model(tenantId, id), ModelVersion);
  }

  /** Newest first. */
  async list(tenantId: string): Promise<ModelVersion[]> {
    const ids = await this.redis.send("ZRANGE", keys.models(tenantId), 0, -1, "REV") as string[];
    const all = await Promise.all(ids.map((id) => this.get(tenantId, String(id))));
    return all.filter((m): m is ModelVersion => m !== undefined);
  }
}
