import type { BlobStore } from "../../shared/blob/store.ts";
import type { ProgressEvent } from "../../shared/contracts/events.ts";
import type { JobRecord, ResultName } from "../../shared/contracts/jobs.ts";
import type { RedisClient } from "../../shared/queue/redis.ts";

/** What a job runner gets: the job, where to write, and how to report and notice cancellation. */
export interface JobContext {
  job: JobRecord;
  blob: BlobStore;
  redis: RedisClient;
  /** A fresh local scratch folder for this attempt, removed afterwards. */
  workDir: string;
  /** Aborted when the job's cancellation is requested. */
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
