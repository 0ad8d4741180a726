import { UserError } from "../errors.ts";
import { JobEvent } from "../contracts/events.ts";
import {
  finalStatuses,
  JobRecord,
  JobRequest,
  type JobStatus,
  ResultName,
} from "../contracts/jobs.ts";
import { z } from "zod";
import { newId } from "./ids.ts";
import { keys } from "./keys.ts";
import { pairsToRecord, parseEntries, type RedisClient } from "./redis.ts";

const eventsMaxLen = 1000;
const workMaxLen = 100_000;
const idempotencyTtlSeconds = 86_400;
/** A finished job's event stream is kept this long for late SSE readers, then expires. */
const finishedEventsTtlSeconds = 7 * 86_400;

// Atomic submit: idempotency check, concurrent-job quota, job hash, work entry (its stream and id
// kept in the hash as `entry`), first event.
const submitScript = `
local idem = ARGV[1]
if idem ~= '' then
  local existing = redis.call('GET', idem)
  if existing then return {'existing', existing} end
end
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then return {'quota', ''} end
redis.call('HSET', KEYS[1], unpack(cjson.decode(ARGV[4])))
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[2])
local entry = redis.call('XADD', KEYS[4], 'MAXLEN', '~', '${workMaxLen}', '*', 'tenantId', ARGV[6], 'jobId', ARGV[2], 'kind', ARGV[7])
redis.call('HSET', KEYS[1], 'entry', KEYS[4] .. ' ' .. entry)
redis.call('XADD', KEYS[5], 'MAXLEN', '~', '${eventsMaxLen}', '*', 'event', ARGV[8])
if idem ~= '' then redis.call('SET', idem, ARGV[2], 'EX', '${idempotencyTtlSeconds}') end
return {'created', ARGV[2]}
`;

// Compare-and-set status change, so a redelivered or cancelled job never moves backwards.
const transitionScript = `
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return {0, ''} end
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == current then allowed = true end end
if not allowed then return {0, current} end
redis.call('HSET', KEYS[1], 'status', ARGV[2], unpack(cjson.decode(ARGV[3])))
redis.call('XADD', KEYS[3], 'MAXLEN', '~', '${eventsMaxLen}', '*', 'event', ARGV[4])
if ARGV[5] == '1' then
  redis.call('SREM', KEYS[2], ARGV[6])
  redis.call('EXPIRE', KEYS[3], '${finishedEventsTtlSeconds}')
end
return {1, current}
`;

/**
 * Appends a job event and, for a progress event, raises the record's `progress` to its fraction
 * (never lowers it: a resumed run re-reports earlier iterations). One round trip per event.
 * KEYS: job hash, event stream. ARGV: fraction ('' for none), event JSON.
 */
const progressScript = `
local fraction = tonumber(ARGV[1])
if fraction and fraction > (tonumber(redis.call('HGET', KEYS[1], 'progress')) or 0) then
  redis.call('HSET', KEYS[1], 'progress', ARGV[1])
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', '${eventsMaxLen}', '*', 'event', ARGV[2])
return redis.call('HGET', KEYS[1], 'cancelRequested')
`;

/** What {@link JobStore.submit} did. */
export interface Submitted {
  job: JobRecord;
  /** False when the Idempotency-Key named an existing job, which is returned instead. */
  created: boolean;
}

/** One event of a job's stream, with its Redis stream id (the SSE `id:`). */
export interface StoredEvent {
  id: string;
  event: JobEvent;
}

/** Fields a status change may also set. */
export interface TransitionFields {
  error?: string;
  results?: ResultName[];
  modelId?: string;
  progress?: number;
}

/**
 * Job records, their event streams, idempotency and quotas, over any {@link RedisClient}. The edge
 * submits, reads and cancels; the worker moves jobs through their states.
 */
export class JobStore {
  constructor(private readonly redis: RedisClient) {}

  /**
   * Creates a job and queues it on `q:{kind}`, atomically. With an `idempotencyKey` already used
   * by this tenant, returns that job (`created: false`); a different body under the same key is a
   * {@link UserError} `idempotency_mismatch`. Throws `quota_exceeded` when the tenant already has
   * `maxConcurrentJobs` queued or running.
   */
  async submit(
    tenantId: string,
    request: JobRequest,
    options: { idempotencyKey?: string; maxConcurrentJobs: number },
  ): Promise<Submitted> {
    const id = newId("job");
    const now = new Date().toISOString();
    const fields = {
      id,
      tenantId,
      kind: request.kind,
      status: "queued",
      request: JSON.stringify(request),
      progress: "0",
      attempt: "0",
      cancelRequested: "0",
      results: "[]",
      createdAt: now,
      updatedAt: now,
    };
    const idem = options.idempotencyKey ? keys.idempotency(tenantId, options.idempotencyKey) : "";
    const queuedEvent: JobEvent = { type: "status", status: "queued" };
    const reply = await this.redis.send(
      "EVAL",
      submitScript,
      5,
      keys.job(tenantId, id),
      keys.activeJobs(tenantId),
      keys.jobs(tenantId),
      `q:${request.kind}`,
      keys.jobEvents(tenantId, id),
      idem,
      id,
      options.maxConcurrentJobs,
      JSON.stringify(Object.entries(fields).flat()),
      Date.now(),
      tenantId,
      request.kind,
      JSON.stringify(queuedEvent),
    ) as [string, string];
    const [outcome, jobId] = reply.map(String);
    if (outcome === "quota") {
      throw new UserError(
        "quota_exceeded",
        `this tenant already has ${options.maxConcurrentJobs} jobs queued or running; wait for one to finish`,
      );
    }
    const job = await this.get(tenantId, jobId);
    if (!job) throw new Error(`job ${jobId} vanished right after submit`);
    if (outcome === "existing" && JSON.stringify(job.request) !== JSON.stringify(request)) {
      throw new UserError(
        "idempotency_mismatch",
        `Idempotency-Key '${options.idempotencyKey}' was used for a different request (job ${jobId})`,
      );
    }
    return { job, created: outcome === "created" };
  }

  /** The tenant's job, or undefined (also for another tenant's id). */
  async get(tenantId: string, jobId: string): Promise<JobRecord | undefined> {
    const hash = pairsToRecord(await this.redis.send("HGETALL", keys.job(tenantId, jobId)));
    if (!hash.id) return undefined;
    return JobRecord.parse({
      id: hash.id,
      tenantId: hash.tenantId,
      kind: hash.kind,
      status: hash.status,
      request: JobRequest.parse(JSON.parse(hash.request)),
      progress: Number(hash.progress),
      attempt: Number(hash.attempt),
      cancelRequested: hash.cancelRequested === "1",
      error: hash.error,
      results: z.array(ResultName).parse(JSON.parse(hash.results)),
      modelId: hash.modelId,
      createdAt: hash.createdAt,
      updatedAt: hash.updatedAt,
      heartbeatAt: hash.heartbeatAt,
    });
  }

  /** The tenant's most recent jobs, newest first. */
  async list(tenantId: string, limit = 50): Promise<JobRecord[]> {
    const ids = await this.redis.send("ZRANGE", keys.jobs(tenantId), 0, limit - 1, "REV");
    const jobs = await Promise.all((ids as string[]).map((id) => this.get(tenantId, String(id))));
    return jobs.filter((j): j is JobRecord => j !== undefined);
  }

  /**
   * Moves a job from one of `from` to `to` (compare-and-set) and appends the status event.
   * Resolves to false, changing nothing, when the job is not in one of `from`.
   */
  async transition(
    tenantId: string,
    jobId: string,
    from: readonly JobStatus[],
    to: JobStatus,
    fields: TransitionFields = {},
  ): Promise<boolean> {
    const extra: Record<string, string> = { updatedAt: new Date().toISOString() };
    if (fields.error !== undefined) extra.error = fields.error;
    if (fields.results !== undefined) extra.results = JSON.stringify(fields.results);
    if (fields.modelId !== undefined) extra.modelId = fields.modelId;
    if (fields.progress !== undefined) extra.progress = String(fields.progress);
    const event: JobEvent = { type: "status", status: to, error: fields.error };
    const [changed] = await this.redis.send(
      "EVAL",
      transitionScript,
      3,
      keys.job(tenantId, jobId),
      keys.activeJobs(tenantId),
      keys.jobEvents(tenantId, jobId),
      from.join(","),
      to,
      JSON.stringify(Object.entries(extra).flat()),
      JSON.stringify(event),
      finalStatuses.includes(to) ? "1" : "0",
      jobId,
    ) as [number, string];
    return Number(changed) === 1;
  }

  /**
   * Cancels a job: a queued one at once (the worker acks it without work when it comes up), a
   * running one by setting `cancelRequested`, which the worker checks between steps.
   */
  async requestCancel(tenantId: string, jobId: string): Promise<JobRecord | undefined> {
    const job = await this.get(tenantId, jobId);
    if (!job) return undefined;
    if (job.status === "queued") {
      await this.transition(tenantId, jobId, ["queued"], "cancelled");
    } else if (job.status === "running") {
      await this.redis.send("HSET", keys.job(tenantId, jobId), "cancelRequested", "1");
    }
    return await this.get(tenantId, jobId);
  }

  /**
   * Queued or running jobs, of any tenant, whose work entry (`{stream} {id}`) is one of
   * `entries`: the worker looks up the few jobs whose entries were trimmed away while pending.
   */
  async withEntries(entries: ReadonlySet<string>): Promise<{ tenantId: string; jobId: string }[]> {
    const found: { tenantId: string; jobId: string }[] = [];
    for (const tenantId of await this.redis.send("SMEMBERS", keys.tenants) as string[]) {
      const active = await this.redis.send("SMEMBERS", keys.activeJobs(String(tenantId)));
      for (const jobId of active as string[]) {
        const entry = await this.redis.send(
          "HGET",
          keys.job(String(tenantId), String(jobId)),
          "entry",
        );
        if (entry !== null && entries.has(String(entry))) {
          found.push({ tenantId: String(tenantId), jobId: String(jobId) });
        }
      }
    }
    return found;
  }

  /** Worker side: counts one more pick-up and stamps the heartbeat. */
  async markAttempt(tenantId: string, jobId: string): Promise<void> {
    const key = keys.job(tenantId, jobId);
    await this.redis.send("HINCRBY", key, "attempt", 1);
    await this.heartbeat(tenantId, jobId);
  }

  /** Worker side: stamps `heartbeatAt`; resolves to whether cancellation was requested. */
  async heartbeat(tenantId: string, jobId: string): Promise<boolean> {
    const key = keys.job(tenantId, jobId);
    await this.redis.send("HSET", key, "heartbeatAt", new Date().toISOString());
    return String(await this.redis.send("HGET", key, "cancelRequested")) === "1";
  }

  /**
   * Worker side: appends an event; a progress event also raises the record's fraction done (the
   * job list's percentage), in the same round trip, which also answers whether cancellation was
   * requested: a training reports every iteration, so it learns of a cancel within one.
   */
  async progress(tenantId: string, jobId: string, event: JobEvent): Promise<boolean> {
    const cancelRequested = await this.redis.send(
      "EVAL",
      progressScript,
      2,
      keys.job(tenantId, jobId),
      keys.jobEvents(tenantId, jobId),
      event.type === "progress" ? String(event.progress) : "",
      JSON.stringify(event),
    );
    return String(cancelRequested) === "1";
  }

  /** Events after stream id `after` (exclusive; "0" for all), oldest first. */
  async events(tenantId: string, jobId: string, after = "0", count = 100): Promise<StoredEvent[]> {
    const start = after === "0" ? "-" : `(${after}`;
    const reply = await this.redis.send(
      "XRANGE",
      keys.jobEvents(tenantId, jobId),
      start,
      "+",
      "COUNT",
      count,
    );
    return parseEntries(reply).map((e) => ({
      id: e.id,
      event: JobEvent.parse(JSON.parse(e.fields.event)),
    }));
  }
}
