/** Webhooks: Standard Webhooks signing, per-tenant endpoints, delivery with retries, SSRF guard. */
export { newWebhookSecret, signatureHeaders } from "./signing.ts";
export {
  blockedReason,
  type CheckedTarget,
  checkWebhookTarget,
  type Resolver,
  systemResolve,
  type TargetPolicy,
  webhookPolicyFromEnv,
} from "./ssrf.ts";
export { type PostAnswer, postToCheckedTarget } from "./pinned_post.ts";
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
