import { Redis, ReplyError } from "ioredis";
import { UserError } from "../errors.ts";
import { type RedisClient, RedisUnavailable } from "./redis.ts";

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
    // While the link is down, commands fail at once (the edge answers 503) instead of queueing;
    // reconnection goes on for as long as it takes (a Redis restart), never giving up.
    enableOfflineQueue: false,
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
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
    send: async (command, ...args) => {
      try {
        return await client.call(command, ...args);
      } catch (error) {
        if (error instanceof ReplyError) throw error; // Redis answered: an error of the command
        throw new RedisUnavailable(`Redis unavailable: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
