import { JobKind } from "../contracts/jobs.ts";
import { DeadLetter } from "../contracts/queue.ts";
import { keys, workerGroup } from "./keys.ts";
import { parseEntries, type RedisClient, type StreamEntry } from "./redis.ts";

/** A work-stream entry handed to one consumer. */
export interface Delivery extends StreamEntry {
  stream: string;
}

/** What one XAUTOCLAIM pass took over, and the pending entries Redis had trimmed away meanwhile. */
export interface Reclaimed {
  entries: Delivery[];
  deleted: { stream: string; id: string }[];
}

const allStreams = JobKind.options.map((kind) => keys.workStream(kind));

/**
 * Consumer-group operations on the work streams `q:{kind}` (group `workers`), for the worker over
 * TCP: blocking reads, acks, heartbeats that keep an entry claimed, XAUTOCLAIM of entries whose
 * consumer went silent, delivery counts and the dead-letter stream `q:dead`.
 */
export class WorkStreams {
  constructor(private readonly redis: RedisClient, readonly streams: string[] = allStreams) {}

  /** Creates the consumer group on every stream (and the stream), once; idempotent. */
  async ensureGroups(): Promise<void> {
    for (const stream of this.streams) {
      try {
        await this.redis.send("XGROUP", "CREATE", stream, workerGroup, "0", "MKSTREAM");
      } catch (error) {
        if (!String((error as Error).message).includes("BUSYGROUP")) throw error;
      }
    }
  }

  /** Waits up to `blockMs` for new entries on any stream; at most `count` per stream. */
  async read(consumer: string, blockMs: number, count = 1): Promise<Delivery[]> {
    const reply = await this.redis.send(
      "XREADGROUP",
      "GROUP",
      workerGroup,
      consumer,
      "COUNT",
      count,
      "BLOCK",
      blockMs,
      "STREAMS",
      ...this.streams,
      ...this.streams.map(() => ">"),
    );
    if (!Array.isArray(reply)) return [];
    return reply.flatMap(([stream, entries]) =>
      parseEntries(entries).map((e) => ({ ...e, stream: String(stream) }))
    );
  }

  /** Acknowledges an entry: it leaves the pending list for good. */
  async ack(delivery: Delivery): Promise<void> {
    await this.redis.send("XACK", delivery.stream, workerGroup, delivery.id);
  }

  /**
   * Keeps an entry claimed by `consumer`: XCLAIM … JUSTID resets its idle time without counting a
   * delivery, so a long training is not reclaimed while its worker lives.
   */
  async heartbeat(delivery: Delivery, consumer: string): Promise<void> {
    await this.redis.send(
      "XCLAIM",
      delivery.stream,
      workerGroup,
      consumer,
      0,
      delivery.id,
      "JUSTID",
    );
  }

  /** Takes over entries idle for at least `minIdleMs` (their worker died or hung) on every stream. */
  async reclaim(consumer: string, minIdleMs: number, count = 10): Promise<Reclaimed> {
    const reclaimed: Reclaimed = { entries: [], deleted: [] };
    for (const stream of this.streams) {
      const reply = await this.redis.send(
        "XAUTOCLAIM",
        stream,
        workerGroup,
        consumer,
        minIdleMs,
        "0-0",
        "COUNT",
        count,
      ) as [string, unknown, unknown[]];
      const entries = parseEntries(reply[1]);
      for (const entry of entries) reclaimed.entries.push({ ...entry, stream });
      for (const id of reply[2] ?? []) {
        reclaimed.deleted.push({ stream, id: String(id) });
        // Trimmed while pending: nothing to run; drop it from the pending list (the worker fails
        // its job).
        await this.redis.send("XACK", stream, workerGroup, String(id));
      }
    }
    return reclaimed;
  }

  /** How many times the entry has been delivered (read or claimed), from XPENDING. */
  async deliveries(delivery: Delivery): Promise<number> {
    const reply = await this.redis.send(
      "XPENDING",
      delivery.stream,
      workerGroup,
      "IDLE",
      0,
      delivery.id,
      delivery.id,
      1,
    ) as [string, string, number, number][];
    return reply.length ? Number(reply[0][3]) : 0;
  }

  /** Moves an entry to `q:dead` with the reason, then acks it. */
  async deadLetter(delivery: Delivery, reason: string, deliveries: number): Promise<void> {
    const letter = DeadLetter.parse({
      stream: delivery.stream,
      entryId: delivery.id,
      fields: delivery.fields,
      reason,
      deliveries,
    });
    await this.redis.send("XADD", keys.deadLetters, "*", "letter", JSON.stringify(letter));
    await this.ack(delivery);
  }

  /** The dead-letter stream's entries, oldest first. */
  async deadLetters(): Promise<DeadLetter[]> {
    const reply = await this.redis.send("XRANGE", keys.deadLetters, "-", "+");
    return parseEntries(reply).map((e) => DeadLetter.parse(JSON.parse(e.fields.letter)));
  }
}
