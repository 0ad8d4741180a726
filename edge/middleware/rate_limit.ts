import type { MiddlewareHandler } from "hono";
import { UserError } from "../../shared/errors.ts";
import { keys } from "../../shared/queue/keys.ts";
import type { RedisClient } from "../../shared/queue/redis.ts";
import type { TenantEnv } from "../env.ts";

/**
 * Per-tenant fixed-window rate limit (one minute, `INCR` + `EXPIRE`, shared by every edge
 * process). Over the tenant's `rateLimitPerMinute`: 429 `rate_limited` with `Retry-After`.
 */
export function rateLimit(redis: RedisClient): MiddlewareHandler<TenantEnv> {
  return async (c, next) => {
    const tenant = c.get("tenant");
    const now = Date.now();
    const window = Math.floor(now / 60_000);
    const key = keys.rate(tenant.id, window);
    const count = Number(await redis.send("INCR", key));
    if (count === 1) await redis.send("EXPIRE", key, 120);
    c.header("ratelimit-limit", String(tenant.rateLimitPerMinute));
    c.header("ratelimit-remaining", String(Math.max(0, tenant.rateLimitPerMinute - count)));
    if (count > tenant.rateLimitPerMinute) {
      const retryAfter = Math.ceil(((window + 1) * 60_000 - now) / 1000);
      c.header("retry-after", String(retryAfter));
      throw new UserError(
        "rate_limited",
        `more than ${tenant.rateLimitPerMinute} requests this minute; retry in ${retryAfter} s`,
      );
    }
    await next();
  };
}
