import { z } from "zod";

/** Event types a webhook endpoint can subscribe to. */
export const WebhookEventType = z.enum([
  "job.queued",
  "job.started",
  "job.completed",
  "job.failed",
  "job.cancelled",
  "model.version.created",
]);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

/** Body of `POST /v1/webhooks`. */
export const WebhookEndpointCreate = z.object({
  url: z.url(),
  /** Empty: every event type. */
  events: z.array(WebhookEventType).default([]),
});
export type WebhookEndpointCreate = z.infer<typeof WebhookEndpointCreate>;

export const WebhookEndpoint = z.object({
  id: z.string(),
  tenantId: z.string(),
  url: z.string(),
  events: z.array(WebhookEventType),
  enabled: z.boolean(),
  /** Why it was disabled (e.g. the receiver answered 410). */
  disabledReason: z.string().optional(),
  createdAt: z.string(),
});
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

/** The endpoint plus its signing secret (`whsec_…`), returned once at creation. */
export const WebhookEndpointCreated = WebhookEndpoint.extend({ secret: z.string() });
export type WebhookEndpointCreated = z.infer<typeof WebhookEndpointCreated>;

/** The JSON body a receiver gets: thin, ids and links only (Standard Webhooks payload shape). */
export const WebhookPayload = z.object({
  type: WebhookEventType,
  timestamp: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/** One delivery of one event to one endpoint, with its attempts (the delivery log). */
export const WebhookDelivery = z.object({
  id: z.string(),
  endpointId: z.string(),
  tenantId: z.string(),
  payload: WebhookPayload,
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.array(z.object({
    at: z.string(),
    /** HTTP status, or 0 when no answer came (refused, timeout, SSRF guard). */
    status: z.number().int(),
    error: z.string().optional(),
  })),
  nextAttemptAt: z.string().optional(),
  /** Index in `attempts` where the current retry series began (a manual replay starts a new one). */
  seriesStart: z.number().int().nonnegative().default(0),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;
