import { Redis } from "ioredis";
import { UserError } from "../errors.ts";
import type { RedisClient } from "./redis.ts";

/**
 * Connects to Redis over TCP (ioredis). Fails fast with a {@link UserError} saying what to do when
 * nothing answers at `url`, rather than retrying forever.
 *
 * @example
 * ```ts ignore
 * const redis = await connectTcp("redis://127.0.0.1:6379");
 * await redis.send("PING");
 * ```
 */
export async function connectTcp(url: string): Promise<RedisClient> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => (times > 20 ? null : Math.min(times * 100, 1000)),
  });
  client.on("error", () => {}); // connection errors surface on the command that needs the link
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new UserError(
      "redis_unreachable",
      `cannot reach Redis at ${url} (${(error as Error).message}). Start one with ` +
        '`redis-server --port 6379 --save ""` or set REDIS_URL to a reachable server.',
    );
  }
  return {
    send: (command, ...args) => client.call(command, ...args),
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
