/** Webhooks: Standard Webhooks signing, per-tenant endpoints, delivery with retries, SSRF guard. */
export { newWebhookSecret, signatureHeaders } from "./signing.ts";
export { blockedReason, checkWebhookTarget, type TargetPolicy } from "./ssrf.ts";
export { WebhookEndpoints, withoutSecret } from "./endpoints.ts";
export {
  defaultRetryDelaysMs,
  type DispatcherOptions,
  emitWebhookEvent,
  listDeliveries,
  replayDelivery,
  runDispatcher,
  WebhookDispatcher,
} from "./dispatcher.ts";
