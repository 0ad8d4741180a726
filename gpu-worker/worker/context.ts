import type { BlobStore } from "../../shared/blob/store.ts";
import type { ProgressEvent } from "../../shared/contracts/events.ts";
import type { JobRecord, ResultName } from "../../shared/contracts/jobs.ts";
import type { TenantLimits } from "../../shared/contracts/tenants.ts";
import type { RedisClient } from "../../shared/queue/redis.ts";

/** What a job runner gets: the job, where to write, and how to report and notice cancellation. */
export interface JobContext {
  job: JobRecord;
  /** The tenant's limits, read when the attempt starts. */
  limits: TenantLimits;
  blob: BlobStore;
  redis: RedisClient;
  /** A fresh local scratch folder for this attempt, removed afterwards. */
  workDir: string;
  /** Aborted when the job's cancellation is requested or its wall time runs out. */
  signal: AbortSignal;
  /** Appends a progress event to the job's event stream. */
  progress(event: ProgressEvent): Promise<void>;
}

/** What a finished job leaves: result names now durable in the blob store, and a model version. */
export interface JobOutcome {
  results: ResultName[];
  modelId?: string;
}

/** Runs one kind of job; throws a UserError for bad input (no retry), anything else is retried. */
export type JobRunner = (context: JobContext) => Promise<JobOutcome>;
