import { Redis } from "@upstash/redis";
import type { RedisClient } from "./redis.ts";

/**
 * Talks to Redis through the Upstash REST protocol (@upstash/redis), for serverless edges. Replies
 * stay raw strings (`automaticDeserialization: false`): callers parse them with zod. No blocking
 * commands over REST: the worker uses {@link connectTcp}.
 */
export function connectRest(url: string, token: string): RedisClient {
  const client = new Redis({
    url,
    token,
    automaticDeserialization: false,
    enableTelemetry: false,
    // The edge's own retries would double-submit non-idempotent commands; fail and let the caller decide.
    retry: false,
  });
  return {
    send: (command, ...args) => client.exec([command, ...args]),
    close: () => Promise.resolve(),
  };
}
