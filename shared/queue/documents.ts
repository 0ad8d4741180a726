import type { z } from "zod";
import type { RedisClient } from "./redis.ts";

/** Stores `value` as JSON at `key` after checking it against `schema`. */
export async function putDocument<S extends z.ZodType>(
  redis: RedisClient,
  key: string,
  schema: S,
  value: z.infer<S>,
): Promise<void> {
  await redis.send("SET", key, JSON.stringify(schema.parse(value)));
}

/** Reads the JSON document at `key`, or undefined when there is none. */
export async function getDocument<S extends z.ZodType>(
  redis: RedisClient,
  key: string,
  schema: S,
): Promise<z.infer<S> | undefined> {
  const raw = await redis.send("GET", key);
  if (raw === null || raw === undefined) return undefined;
  return schema.parse(JSON.parse(String(raw)));
}
