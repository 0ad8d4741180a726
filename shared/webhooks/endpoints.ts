import {
  type WebhookEndpoint,
  WebhookEndpointCreated,
  type WebhookEventType,
} from "../contracts/webhooks.ts";
import { getDocument, putDocument } from "../queue/documents.ts";
import { newId } from "../queue/ids.ts";
import { keys } from "../queue/keys.ts";
import type { RedisClient } from "../queue/redis.ts";
import { newWebhookSecret } from "./signing.ts";

/** Drops the secret: what listings and later reads show. */
export function withoutSecret(endpoint: WebhookEndpointCreated): WebhookEndpoint {
  const { secret: _secret, ...rest } = endpoint;
  return rest;
}

/** Per-tenant webhook endpoints (`t:{tid}:webhook:{id}`), secrets included, in Redis. */
export class WebhookEndpoints {
  constructor(private readonly redis: RedisClient) {}

  /** Registers an endpoint; the answer carries its secret, which is shown this once. */
  async create(
    tenantId: string,
    url: string,
    events: WebhookEventType[],
  ): Promise<WebhookEndpointCreated> {
    const endpoint: WebhookEndpointCreated = {
      id: newId("whe"),
      tenantId,
      url,
      events,
      enabled: true,
      secret: newWebhookSecret(),
      createdAt: new Date().toISOString(),
    };
    await putDocument(
      this.redis,
      keys.webhook(tenantId, endpoint.id),
      WebhookEndpointCreated,
      endpoint,
    );
    await this.redis.send("SADD", keys.webhooks(tenantId), endpoint.id);
    return endpoint;
  }

  get(tenantId: string, id: string): Promise<WebhookEndpointCreated | undefined> {
    return getDocument(this.redis, keys.webhook(tenantId, id), WebhookEndpointCreated);
  }

  async list(tenantId: string): Promise<WebhookEndpointCreated[]> {
    const ids = await this.redis.send("SMEMBERS", keys.webhooks(tenantId)) as string[];
    const found = await Promise.all(ids.map((id) => this.get(tenantId, String(id))));
    return found.filter((e): e is WebhookEndpointCreated => e !== undefined)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Resolves to false when the tenant has no such endpoint. */
  async delete(tenantId: string, id: string): Promise<boolean> {
    const removed = await this.redis.send("DEL", keys.webhook(tenantId, id));
    await this.redis.send("SREM", keys.webhooks(tenantId), id);
    return Number(removed) === 1;
  }

  /** Turns an endpoint off (e.g. after the receiver answered 410 Gone). */
  async disable(tenantId: string, id: string, reason: string): Promise<void> {
    const endpoint = await this.get(tenantId, id);
    if (!endpoint) return;
    await putDocument(this.redis, keys.webhook(tenantId, id), WebhookEndpointCreated, {
      ...endpoint,
      enabled: false,
      disabledReason: reason,
    });
  }
}
