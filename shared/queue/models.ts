import { ModelVersion } from "../contracts/models.ts";
import { getDocument } from "./documents.ts";
import { keys } from "./keys.ts";
import type { RedisClient } from "./redis.ts";

// Stores a version unless one is stored under the id (then answers that one's JSON), and lists
// it in the same step. KEYS: model, list. ARGV: the version's JSON, its number, its id.
const createScript = `
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return false
`;

/** Immutable model versions with lineage (`t:{tid}:model:{id}`), numbered per tenant. */
export class ModelRegistry {
  constructor(private readonly redis: RedisClient) {}

  /**
   * Records a new version under `id` (the worker derives it from the training job, so a
   * redelivered job cannot register twice); written once, never updated. Storing and listing are one
   * script: a worker killed between them would leave a version its successor finds (so it never
   * lists it) but that no list shows. A kill after the number is drawn only leaves a gap.
   */
  async create(
    tenantId: string,
    id: string,
    lineage: ModelVersion["lineage"],
    blobPrefix: string,
  ): Promise<ModelVersion> {
    const version = Number(await this.redis.send("INCR", keys.modelSequence(tenantId)));
    const model = ModelVersion.parse({
      id,
      tenantId,
      version,
      lineage,
      blobPrefix,
      createdAt: new Date().toISOString(),
    });
    const existing = await this.redis.send(
      "EVAL",
      createScript,
      2,
      keys.model(tenantId, id),
      keys.models(tenantId),
      JSON.stringify(model),
      version,
      id,
    );
    return existing === null || existing === undefined
      ? model
      : ModelVersion.parse(JSON.parse(String(existing)));
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
