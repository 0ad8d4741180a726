import type { BlobStore } from "../../shared/blob/store.ts";
import type { JobKind, JobRecord } from "../../shared/contracts/jobs.ts";
import { finalStatuses } from "../../shared/contracts/jobs.ts";
import { WorkMessage } from "../../shared/contracts/queue.ts";
import { Tenant, TenantLimits } from "../../shared/contracts/tenants.ts";
import { getDocument } from "../../shared/queue/documents.ts";
import type { WebhookEventType } from "../../shared/contracts/webhooks.ts";
import { UserError } from "../../shared/errors.ts";
import { JobStore } from "../../shared/queue/jobs.ts";
import { keys } from "../../shared/queue/keys.ts";
import type { RedisClient } from "../../shared/queue/redis.ts";
import { type Delivery, WorkStreams } from "../../shared/queue/work_stream.ts";
import { emitWebhookEvent } from "../../shared/webhooks/dispatcher.ts";
import type { JobOutcome, JobRunner } from "./context.ts";

/** Settings of one worker process. */
export interface WorkerOptions {
  /** A TCP connection of its own: the worker blocks on it (XREADGROUP … BLOCK). */
  redis: RedisClient;
  blob: BlobStore;
  /** Unique per worker process, e.g. `gpu-{host}-{pid}`. */
  consumer: string;
  runners: Record<JobKind, JobRunner>;
  /** Local scratch root; each attempt gets a fresh folder under it. */
  workRoot: string;
  /** How often a running job is re-claimed and its `heartbeatAt` stamped; default 10 s. */
  heartbeatMs?: number;
  /** Entries idle this long belong to a dead worker and are reclaimed; default 3 heartbeats. */
  reclaimIdleMs?: number;
  /** How often to look for such entries; default every heartbeat. */
  reclaimEveryMs?: number;
  /** Longest blocking read; default 2 s. */
  blockMs?: number;
  /** Deliveries after which an entry goes to the dead-letter stream; default 3. */
  maxDeliveries?: number;
  /** Log lines (default console.error). */
  log?: (line: string) => void;
}

/** A cancellation noticed through the job hash, as opposed to a failure. */
class Cancelled extends Error {}

/** The tenant's wall-time limit ran out: the job fails, no retry. */
class WallTimeExceeded extends Error {}

/**
 * The long-running queue worker: reads `q:train`, `q:infer`, `q:evaluate` in consumer group
 * `workers`, runs each job with the runner of its kind (the CLI's code path), and acks only once
 * the results are durable and the job is marked final.
 *
 * Failure handling: a heartbeat keeps a running entry claimed and notices cancellation; entries of
 * dead workers are taken over with XAUTOCLAIM after `reclaimIdleMs` (training resumes from its
 * checkpoint); an entry that failed or was delivered more than `maxDeliveries` times, or whose
 * message or job cannot be parsed, goes to `q:dead` and its job is marked failed with the reason.
 */
export class QueueWorker {
  private readonly streams: WorkStreams;
  private readonly store: JobStore;
  private readonly heartbeatMs: number;
  private readonly reclaimIdleMs: number;
  private readonly reclaimEveryMs: number;
  private readonly maxDeliveries: number;
  private readonly log: (line: string) => void;

  constructor(private readonly options: WorkerOptions) {
    this.streams = new WorkStreams(options.redis);
    this.store = new JobStore(options.redis);
    this.heartbeatMs = options.heartbeatMs ?? 10_000;
    this.reclaimIdleMs = options.reclaimIdleMs ?? 3 * this.heartbeatMs;
    this.reclaimEveryMs = options.reclaimEveryMs ?? this.heartbeatMs;
    this.maxDeliveries = options.maxDeliveries ?? 3;
    this.log = options.log ?? ((line) => console.error(line));
  }

  /**
   * Runs until `signal` aborts (then finishes the read in progress and returns). Redis going away
   * is survived: the loop waits and retries (the client reconnects by itself), and when the
   * server came back without the consumer groups (NOGROUP: restarted without persistence, or
   * flushed) they are created again. An entry whose handling broke off stays pending and is
   * reclaimed later, so nothing is lost.
   */
  async run(signal: AbortSignal): Promise<void> {
    await this.streams.ensureGroups();
    let nextReclaim = 0;
    let backoffMs = 100;
    while (!signal.aborted) {
      try {
        if (Date.now() >= nextReclaim) {
          const { entries, deleted } = await this.streams.reclaim(
            this.options.consumer,
            this.reclaimIdleMs,
          );
          if (deleted.length > 0) await this.failTrimmed(deleted);
          for (const entry of entries) {
            this.log(`worker ${this.options.consumer}: reclaimed ${entry.stream} ${entry.id}`);
            await this.process(entry);
          }
          nextReclaim = Date.now() + this.reclaimEveryMs;
        }
        const blockMs = Math.max(
          1,
          Math.min(this.options.blockMs ?? 2000, nextReclaim - Date.now()),
        );
        for (const delivery of await this.streams.read(this.options.consumer, blockMs)) {
          await this.process(delivery);
        }
        backoffMs = 100;
      } catch (error) {
        const message = (error as Error).message ?? String(error);
        this.log(`worker ${this.options.consumer}: ${message}; retrying in ${backoffMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5000);
        if (message.includes("NOGROUP")) {
          await this.streams.ensureGroups().catch(() => {});
          nextReclaim = 0;
        }
      }
    }
  }

  /**
   * Jobs whose pending entry was trimmed from its stream (its worker died and the stream grew past
   * its cap, or someone trimmed it, before a reclaim): nothing can deliver them again, so they fail
   * with the reason instead of staying `running` for ever.
   */
  private async failTrimmed(deleted: { stream: string; id: string }[]): Promise<void> {
    const orphans = await this.store.withEntries(
      new Set(deleted.map((d) => `${d.stream} ${d.id}`)),
    );
    const reason = "its queue entry was trimmed away before a worker finished it; submit it again";
    for (const { tenantId, jobId } of orphans) {
      this.log(`worker ${this.options.consumer}: ${jobId} failed: ${reason}`);
      const changed = await this.store.transition(
        tenantId,
        jobId,
        ["queued", "running"],
        "failed",
        {
          error: reason,
        },
      );
      if (changed) await this.emit(tenantId, jobId, "job.failed", { jobId, error: reason });
    }
  }

  /** Handles one delivery to its end: acked, dead-lettered, or left pending for a retry. */
  async process(delivery: Delivery): Promise<void> {
    const message = WorkMessage.safeParse(delivery.fields);
    const deliveries = await this.streams.deliveries(delivery);
    if (!message.success) {
      await this.streams.deadLetter(
        delivery,
        `malformed work message: ${message.error.message}`,
        deliveries,
      );
      return;
    }
    const { tenantId, jobId } = message.data;
    let job: JobRecord | undefined;
    try {
      job = await this.store.get(tenantId, jobId);
    } catch (error) {
      await this.giveUp(
        delivery,
        tenantId,
        jobId,
        `unreadable job record: ${(error as Error).message}`,
        deliveries,
      );
      return;
    }
    if (!job || finalStatuses.includes(job.status)) {
      // Gone, or a redelivery of a finished job: nothing to run. A worker may have died after
      // marking it final but before announcing it; announcing again is idempotent.
      if (job && job.attempt > 0) await this.announceFinal(job);
      await this.streams.ack(delivery);
      return;
    }
    if (job.cancelRequested) {
      await this.finish(delivery, job, "cancelled", {});
      return;
    }
    if (deliveries > this.maxDeliveries) {
      const last = await this.options.redis.send("HGET", keys.job(tenantId, jobId), "lastError");
      await this.giveUp(
        delivery,
        tenantId,
        jobId,
        `gave up after ${deliveries - 1} attempts${last ? `; last error: ${last}` : ""}`,
        deliveries,
      );
      return;
    }
    await this.attempt(delivery, job);
  }

  private async attempt(delivery: Delivery, job: JobRecord): Promise<void> {
    const { tenantId, id: jobId } = job;
    if (!await this.store.transition(tenantId, jobId, ["queued", "running"], "running")) {
      // Cancelled (or finished elsewhere) since it was read: nothing to run.
      await this.streams.ack(delivery);
      return;
    }
    await this.store.markAttempt(tenantId, jobId);
    // Every attempt announces it; the event key makes that one delivery per job, even when the
    // worker of the first attempt died before (or after) its announcement.
    await this.emit(tenantId, jobId, "job.started", { jobId, kind: job.kind });

    const tenant = await getDocument(this.options.redis, keys.tenant(tenantId), Tenant);
    const limits = tenant?.limits ?? TenantLimits.parse({});
    const abort = new AbortController();
    const wallTimer = setTimeout(() => {
      abort.abort(new WallTimeExceeded(`ran past this tenant's ${limits.maxWallSeconds} s limit`));
    }, limits.maxWallSeconds * 1000);
    const heartbeat = setInterval(async () => {
      try {
        await this.streams.heartbeat(delivery, this.options.consumer);
        if (await this.store.heartbeat(tenantId, jobId)) abort.abort(new Cancelled("cancelled"));
      } catch (error) {
        this.log(`worker ${this.options.consumer}: heartbeat of ${jobId} failed: ${error}`);
      }
    }, this.heartbeatMs);
    const workDir = await Deno.makeTempDir({ dir: this.options.workRoot, prefix: `${jobId}-` });
    let outcome: JobOutcome;
    try {
      outcome = await this.options.runners[job.kind]({
        job,
        limits,
        blob: this.options.blob,
        redis: this.options.redis,
        workDir,
        signal: abort.signal,
        progress: async (event) => {
          // Not only at the heartbeat: a cancel is seen at the next progress event.
          if (await this.store.progress(tenantId, jobId, event)) {
            abort.abort(new Cancelled("cancelled"));
          }
        },
      });
    } catch (error) {
      const stopped = abort.signal.reason;
      if (stopped instanceof Cancelled) {
        await this.finish(delivery, job, "cancelled", {});
      } else if (stopped instanceof WallTimeExceeded || error instanceof UserError) {
        // Bad input or out of time: retrying cannot help.
        await this.giveUp(
          delivery,
          tenantId,
          jobId,
          stopped instanceof WallTimeExceeded ? stopped.message : (error as Error).message,
          await this.streams.deliveries(delivery),
        );
      } else {
        // Possibly transient: leave the entry pending; a reclaim retries it up to maxDeliveries.
        const reason = (error as Error).message ?? String(error);
        await this.options.redis.send("HSET", keys.job(tenantId, jobId), "lastError", reason);
        this.log(`worker ${this.options.consumer}: ${jobId} attempt failed: ${reason}`);
      }
      return;
    } finally {
      clearInterval(heartbeat);
      clearTimeout(wallTimer);
      await Deno.remove(workDir, { recursive: true }).catch(() => {});
    }
    await this.finish(delivery, job, "completed", outcome);
  }

  /** Marks the job final, announces it, then acks (results were written before this). */
  private async finish(
    delivery: Delivery,
    job: JobRecord,
    status: "completed" | "cancelled",
    outcome: Partial<JobOutcome>,
  ): Promise<void> {
    const changed = await this.store.transition(
      job.tenantId,
      job.id,
      ["queued", "running"],
      status,
      {
        results: outcome.results,
        modelId: outcome.modelId,
        progress: status === "completed" ? 1 : undefined,
      },
    );
    const final = changed && await this.store.get(job.tenantId, job.id);
    if (final) await this.announceFinal(final);
    await this.streams.ack(delivery);
  }

  /**
   * The webhook events of a final job, from its record: `job.completed` (and
   * `model.version.created` for a new model), `job.failed` or `job.cancelled`. Idempotent.
   */
  private async announceFinal(job: JobRecord): Promise<void> {
    const { tenantId, id: jobId, kind } = job;
    if (job.status === "completed") {
      await this.emit(tenantId, jobId, "job.completed", {
        jobId,
        kind,
        results: job.results,
        modelId: job.modelId,
      });
      if (job.modelId) {
        await this.emit(tenantId, jobId, "model.version.created", { jobId, modelId: job.modelId });
      }
    } else if (job.status === "failed") {
      await this.emit(tenantId, jobId, "job.failed", { jobId, error: job.error });
    } else if (job.status === "cancelled") {
      await this.emit(tenantId, jobId, "job.cancelled", { jobId, kind });
    }
  }

  /** Dead-letters the entry and marks its job failed with the reason. */
  private async giveUp(
    delivery: Delivery,
    tenantId: string,
    jobId: string,
    reason: string,
    deliveries: number,
  ): Promise<void> {
    this.log(`worker ${this.options.consumer}: ${jobId} dead-lettered: ${reason}`);
    const changed = await this.store.transition(tenantId, jobId, ["queued", "running"], "failed", {
      error: reason,
    })
      .catch(() => false);
    if (changed) await this.emit(tenantId, jobId, "job.failed", { jobId, error: reason });
    await this.streams.deadLetter(delivery, reason, deliveries);
  }

  /** Schedules a job's webhook event, at most once per job and type (keyed by both). */
  private async emit(
    tenantId: string,
    jobId: string,
    type: WebhookEventType,
    data: Record<string, unknown>,
  ): Promise<void> {
    try {
      await emitWebhookEvent(this.options.redis, tenantId, type, data, `${jobId}/${type}`);
    } catch (error) {
      this.log(`worker ${this.options.consumer}: could not schedule ${type} webhook: ${error}`);
    }
  }
}

/** A consumer name unique to this process. */
export function consumerName(index = 0): string {
  return `gpu-${Deno.hostname()}-${Deno.pid}-${index}`;
}
