import {
  WebhookDelivery,
  type WebhookEventType,
  type WebhookPayload,
} from "../contracts/webhooks.ts";
import { getDocument, putDocument } from "../queue/documents.ts";
import { newId } from "../queue/ids.ts";
import { keys } from "../queue/keys.ts";
import type { RedisClient } from "../queue/redis.ts";
import { WebhookEndpoints } from "./endpoints.ts";
import { signatureHeaders } from "./signing.ts";
import { postToCheckedTarget } from "./pinned_post.ts";
import { checkWebhookTarget, type TargetPolicy } from "./ssrf.ts";

/** Delays before each retry (Standard Webhooks' example schedule), in milliseconds. */
export const defaultRetryDelaysMs: readonly number[] = [
  5_000,
  300_000,
  1_800_000,
  7_200_000,
  18_000_000,
  36_000_000,
  50_400_000,
  72_000_000,
  86_400_000,
];

const deliveryLogLength = 1000;

// Takes up to ARGV[2] due members and pushes their due time ARGV[3] ms ahead (a lease): a
// dispatcher that dies mid-send leaves them to be tried again, never lost.
const leaseScript = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[3]), member)
end
return due
`;

// Stores a delivery, logs it and makes it due, all or nothing; a delivery id already stored
// (the same event emitted again) changes nothing. KEYS: delivery, log, due set.
// ARGV: delivery JSON, delivery id, due time (ms), due-set member.
const scheduleScript = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], 0, ${deliveryLogLength - 1})
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return 1
`;

/** A delivery id derived from the event's key and the endpoint: the same event maps to the same id. */
async function deliveryIdFor(
  tenantId: string,
  eventKey: string,
  endpointId: string,
): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(`${tenantId}/${eventKey}/${endpointId}`),
  );
  const hex = Array.from(
    new Uint8Array(digest).slice(0, 12),
    (b) => b.toString(16).padStart(2, "0"),
  );
  return `msg_${hex.join("")}`;
}

/**
 * Records an event and schedules its delivery to every enabled endpoint that subscribed to it;
 * resolves to the ids of the deliveries scheduled now. With an `eventKey` (e.g. `{jobId}/job.completed`)
 * the event is emitted at most once per endpoint however often this is called: a worker that
 * died between marking a job final and announcing it lets its successor announce it again
 * without a second delivery.
 */
export async function emitWebhookEvent(
  redis: RedisClient,
  tenantId: string,
  type: WebhookEventType,
  data: Record<string, unknown>,
  eventKey?: string,
): Promise<string[]> {
  const endpoints = await new WebhookEndpoints(redis).list(tenantId);
  const payload: WebhookPayload = { type, timestamp: new Date().toISOString(), data };
  const ids: string[] = [];
  for (const endpoint of endpoints) {
    if (!endpoint.enabled || (endpoint.events.length > 0 && !endpoint.events.includes(type))) {
      continue;
    }
    const delivery: WebhookDelivery = {
      id: eventKey ? await deliveryIdFor(tenantId, eventKey, endpoint.id) : newId("msg"),
      endpointId: endpoint.id,
      tenantId,
      payload,
      status: "pending",
      attempts: [],
      nextAttemptAt: payload.timestamp,
      seriesStart: 0,
    };
    const scheduled = await redis.send(
      "EVAL",
      scheduleScript,
      3,
      keys.delivery(tenantId, delivery.id),
      keys.deliveries(tenantId),
      keys.webhooksDue,
      JSON.stringify(WebhookDelivery.parse(delivery)),
      delivery.id,
      Date.now(),
      `${tenantId}/${delivery.id}`,
    );
    if (Number(scheduled) === 1) ids.push(delivery.id);
  }
  return ids;
}

/** The tenant's recent deliveries, newest first, optionally of one endpoint (the delivery log). */
export async function listDeliveries(
  redis: RedisClient,
  tenantId: string,
  endpointId?: string,
): Promise<WebhookDelivery[]> {
  const ids = await redis.send("LRANGE", keys.deliveries(tenantId), 0, -1) as string[];
  const all = await Promise.all(
    ids.map((id) => getDocument(redis, keys.delivery(tenantId, String(id)), WebhookDelivery)),
  );
  return all.filter((d): d is WebhookDelivery =>
    d !== undefined && (endpointId === undefined || d.endpointId === endpointId)
  );
}

/** How the dispatcher sends. */
export interface DispatcherOptions {
  policy?: TargetPolicy;
  retryDelaysMs?: readonly number[];
  /** Per-request timeout; default 15 s. */
  timeoutMs?: number;
  /** How long a taken delivery stays hidden from other dispatchers; default 60 s. */
  leaseMs?: number;
}

/**
 * Sends due webhook deliveries: signs each (Standard Webhooks), checks the target with the SSRF
 * guard at send time and connects to the very address it checked (no DNS rebinding), never
 * follows redirects (a 3xx is a failed attempt), and reschedules failures with backoff (honouring
 * `Retry-After`). A 410 answer disables the endpoint. Every attempt lands in the delivery log.
 */
export class WebhookDispatcher {
  private readonly endpoints: WebhookEndpoints;
  private readonly retryDelaysMs: readonly number[];

  constructor(
    private readonly redis: RedisClient,
    private readonly options: DispatcherOptions = {},
  ) {
    this.endpoints = new WebhookEndpoints(redis);
    this.retryDelaysMs = options.retryDelaysMs ?? defaultRetryDelaysMs;
  }

  /** Sends what is due now; resolves to how many attempts were made. */
  async tick(limit = 20): Promise<number> {
    const due = await this.redis.send(
      "EVAL",
      leaseScript,
      1,
      keys.webhooksDue,
      Date.now(),
      limit,
      this.options.leaseMs ?? 60_000,
    ) as string[];
    for (const member of due) await this.attempt(String(member));
    return due.length;
  }

  private async attempt(member: string): Promise<void> {
    const [tenantId, deliveryId] = member.split("/");
    const key = keys.delivery(tenantId, deliveryId);
    const delivery = await getDocument(this.redis, key, WebhookDelivery);
    const endpoint = delivery && await this.endpoints.get(tenantId, delivery.endpointId);
    if (!delivery || !endpoint || !endpoint.enabled || delivery.status !== "pending") {
      await this.redis.send("ZREM", keys.webhooksDue, member);
      return;
    }
    const body = JSON.stringify(delivery.payload);
    const at = new Date();
    let status = 0;
    let error: string | undefined;
    let retryAfterMs: number | undefined;
    try {
      const target = await checkWebhookTarget(endpoint.url, this.options.policy);
      const answer = await postToCheckedTarget(
        target,
        {
          "content-type": "application/json",
          ...signatureHeaders(endpoint.secret, delivery.id, body, at),
        },
        body,
        {
          timeoutMs: this.options.timeoutMs ?? 15_000,
          caCerts: this.options.policy?.caCerts,
        },
      );
      status = answer.status;
      const retryAfter = Number(answer.retryAfter);
      if (Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = retryAfter * 1000;
    } catch (e) {
      error = (e as Error).message;
    }
    delivery.attempts.push({ at: at.toISOString(), status, error });
    const failures = delivery.attempts.length - delivery.seriesStart;
    if (status >= 200 && status < 300) {
      delivery.status = "delivered";
      delivery.nextAttemptAt = undefined;
    } else if (status === 410) {
      delivery.status = "failed";
      delivery.nextAttemptAt = undefined;
      await this.endpoints.disable(tenantId, endpoint.id, "the receiver answered 410 Gone");
    } else if (failures > this.retryDelaysMs.length) {
      delivery.status = "failed";
      delivery.nextAttemptAt = undefined;
    } else {
      const delay = Math.max(retryAfterMs ?? 0, this.retryDelaysMs[failures - 1]);
      delivery.nextAttemptAt = new Date(Date.now() + delay).toISOString();
    }
    await putDocument(this.redis, key, WebhookDelivery, delivery);
    if (delivery.nextAttemptAt) {
      await this.redis.send("ZADD", keys.webhooksDue, Date.parse(delivery.nextAttemptAt), member);
    } else {
      await this.redis.send("ZREM", keys.webhooksDue, member);
    }
  }
}

/** Runs `dispatcher.tick()` every `intervalMs` until `signal` aborts; errors are logged, not fatal. */
export async function runDispatcher(
  dispatcher: WebhookDispatcher,
  signal: AbortSignal,
  intervalMs = 500,
): Promise<void> {
  while (!signal.aborted) {
    try {
      await dispatcher.tick();
    } catch (error) {
      console.error(`webhooks: dispatch failed: ${(error as Error).message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Sends a logged delivery again (manual replay): same message id, so a receiver that already
 * handled it can tell. Resolves to undefined when the tenant has no such delivery.
 */
export async function replayDelivery(
  redis: RedisClient,
  tenantId: string,
  deliveryId: string,
): Promise<WebhookDelivery | undefined> {
  const key = keys.delivery(tenantId, deliveryId);
  const delivery = await getDocument(redis, key, WebhookDelivery);
  if (!delivery) return undefined;
  const replayed: WebhookDelivery = {
    ...delivery,
    status: "pending",
    nextAttemptAt: new Date().toISOString(),
    seriesStart: delivery.attempts.length,
  };
  await putDocument(redis, key, WebhookDelivery, replayed);
  await redis.send("ZADD", keys.webhooksDue, Date.now(), `${tenantId}/${deliveryId}`);
  return replayed;
}
