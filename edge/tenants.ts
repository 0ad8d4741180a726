import { z } from "zod";
import {
  type ApiKeyCreated,
  type ApiKeyInfo,
  Tenant,
  type TenantCreate,
} from "../shared/contracts/tenants.ts";
import { getDocument, putDocument } from "../shared/queue/documents.ts";
import { newId } from "../shared/queue/ids.ts";
import { keys } from "../shared/queue/keys.ts";
import type { RedisClient } from "../shared/queue/redis.ts";

/** What is stored under `apikey:{sha256}`: never the key itself. */
const StoredKey = z.object({ id: z.string(), tenantId: z.string(), createdAt: z.string() });

/** SHA-256 of an API key, hex: the only form in which keys are stored. */
async function hashKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Tenants and their API keys. */
export class TenantStore {
  constructor(private readonly redis: RedisClient) {}

  async create(input: TenantCreate): Promise<Tenant> {
    const tenant: Tenant = { id: newId("ten"), ...input, createdAt: new Date().toISOString() };
    await putDocument(this.redis, keys.tenant(tenant.id), Tenant, tenant);
    await this.redis.send("SADD", keys.tenants, tenant.id);
    return tenant;
  }

  get(id: string): Promise<Tenant | undefined> {
    return getDocument(this.redis, keys.tenant(id), Tenant);
  }

  /** Mints a key for the tenant; the answer is the only place the key ever appears. */
  async createKey(tenantId: string): Promise<ApiKeyCreated> {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const key = `lsk_${btoa(String.fromCharCode(...secret)).replace(/[+/=]/g, "")}`;
    const stored = { id: newId("key"), tenantId, createdAt: new Date().toISOString() };
    const hash = await hashKey(key);
    await putDocument(this.redis, keys.apiKey(hash), StoredKey, stored);
    await this.redis.send("HSET", keys.tenantKeys(tenantId), stored.id, hash);
    return { ...stored, key };
  }

  /** The tenant's keys (ids and dates, never the keys). Keys minted before #15 are not indexed. */
  async listKeys(tenantId: string): Promise<ApiKeyInfo[]> {
    const hashes = await this.redis.send("HVALS", keys.tenantKeys(tenantId)) as string[];
    const found = await Promise.all(
      hashes.map((hash) => getDocument(this.redis, keys.apiKey(String(hash)), StoredKey)),
    );
    return found.filter((k): k is ApiKeyInfo => k !== undefined)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Revokes a key at once; resolves to false when the tenant has no such key. */
  async revokeKey(tenantId: string, keyId: string): Promise<boolean> {
    const hash = await this.redis.send("HGET", keys.tenantKeys(tenantId), keyId);
    if (!hash) return false;
    await this.redis.send("DEL", keys.apiKey(String(hash)));
    await this.redis.send("HDEL", keys.tenantKeys(tenantId), keyId);
    return true;
  }

  /** The tenant a key belongs to, or undefined for an unknown key. */
  async resolveKey(key: string): Promise<Tenant | undefined> {
    const stored = await getDocument(this.redis, keys.apiKey(await hashKey(key)), StoredKey);
    return stored && await this.get(stored.tenantId);
  }
}
