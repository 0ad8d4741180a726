import { Webhook } from "standardwebhooks";

/** A new per-endpoint signing secret, `whsec_` + base64 of 32 random bytes (Standard Webhooks). */
export function newWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

/**
 * The three Standard Webhooks headers for one attempt: `webhook-id` (the same across retries, the
 * receiver's idempotency key), `webhook-timestamp` (this attempt, unix seconds) and
 * `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`).
 */
export function signatureHeaders(
  secret: string,
  messageId: string,
  body: string,
  at: Date = new Date(),
): Record<string, string> {
  return {
    "webhook-id": messageId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(messageId, at, body),
  };
}
