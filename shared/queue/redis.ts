/**
 * The one Redis surface the service uses: send a command, get Redis's reply. Both transports
 * (TCP via ioredis, REST via @upstash/redis) implement it, so every queue operation is written once.
 */
export interface RedisClient {
  /** Runs one command; resolves to Redis's reply (string, number, null or nested arrays). */
  send(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** Releases the connection. */
  close(): Promise<void>;
}

/** Turns a flat `[field, value, field, value, …]` reply (HGETALL over REST, stream entries) into a record. */
export function pairsToRecord(reply: unknown): Record<string, string> {
  if (reply === null || reply === undefined) return {};
  if (!Array.isArray(reply)) {
    // ioredis answers HGETALL through `call` as a flat array too; an object would be a transport bug.
    throw new Error(`expected a flat field/value array, got ${typeof reply}`);
  }
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) record[String(reply[i])] = String(reply[i + 1]);
  return record;
}

/** One stream entry: its id and its fields. */
export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

/** Parses an XRANGE reply (`[[id, [f, v, …]], …]`). Entries deleted under a pending id come as null fields. */
export function parseEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((entry) => {
    const [id, fields] = entry as [string, unknown];
    return { id: String(id), fields: pairsToRecord(fields) };
  });
}

/** Redis could not be reached (down, restarting, connection lost): retry later, not a bug. */
export class RedisUnavailable extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RedisUnavailable";
  }
}
