import { downloadFolder, type UploadedFiles, uploadFolder } from "../../shared/blob/folders.ts";
import { blobKeys } from "../../shared/blob/keys.ts";
import { knowledgeVectorFor } from "../../shared/knowledge/knowledge_vector.ts";
import { toKnowledgeRecord } from "../../shared/knowledge/knowledge_record.ts";
import { resolveDescriptorSet } from "../../shared/queue/descriptor_sets.ts";
import { pathExists } from "../../shared/path_exists.ts";
import { ModelRegistry } from "../../shared/queue/models.ts";
import type { RedisClient } from "../../shared/queue/redis.ts";
import { CHECKPOINT_FILE, train } from "../training/mod.ts";
import type { ProgressEvent as TrainProgress } from "../training/mod.ts";
import type { KnowledgeFile } from "../checkpoint/model_manifest.ts";
import type { JobContext, JobOutcome } from "./context.ts";
import { materializeDataset } from "./materialize.ts";
import { jobEventMapper } from "./train_events.ts";
import { resolveTrainRequest } from "./train_request.ts";

/**
 * The knowledge vector of the job's descriptor set (the tenant's own or a shipped one): BERT when
 * `LLMSEG_MODEL_DIR` names a model folder, else the seeded stand-in (docs/METHOD.md 3.3).
 */
async function knowledgeFor(
  redis: RedisClient,
  tenantId: string,
  setId: string,
  workDir: string,
): Promise<KnowledgeFile> {
  const set = await resolveDescriptorSet(redis, tenantId, setId);
  const path = `${workDir}/descriptors-${set.id}.json`;
  await Deno.writeTextFile(path, JSON.stringify(set));
  return toKnowledgeRecord(await knowledgeVectorFor(path));
}

/**
 * Training job: the CLI's `train` with the job's preset and overrides. Every checkpoint the core
 * writes is copied (the files that changed) to the blob store (`tenants/{tid}/jobs/{jid}/checkpoint/`) before the
 * `checkpoint` event is announced, so a worker that reclaims the job downloads it and resumes.
 * The finished model folder becomes an immutable model version with its lineage.
 */
export async function runTrain(context: JobContext): Promise<JobOutcome> {
  const { job, blob, redis, workDir } = context;
  if (job.request.kind !== "train") throw new Error(`runTrain got a ${job.request.kind} job`);
  const request = job.request;
  const out = `${workDir}/model`;
  const checkpointPrefix = blobKeys.checkpoint(job.tenantId, job.id);
  await downloadFolder(blob, checkpointPrefix, out);
  const resume = await pathExists(`${out}/${CHECKPOINT_FILE}`);
  // Checked again here with the edge's rule: a job queued before a limit was lowered, or by
  // anything but the edge, still cannot run past the tenant's limits.
  const config = resolveTrainRequest(request, context.limits);
  // The descriptor set is always resolved by id (the tenant's own or a shipped one): the worker
  // never opens a path a tenant named.
  const setId = request.descriptorSetId ?? config.descriptors;
  const knowledge = config.beta > 0
    ? await knowledgeFor(redis, job.tenantId, setId, workDir)
    : undefined;
  const data = request.datasetId
    ? await materializeDataset(redis, blob, job.tenantId, request.datasetId, `${workDir}/data`)
    : undefined;

  // Chain the async work so events stay in order and uploads finish.
  // The first failure is kept and rethrown after training: never an unhandled rejection mid-run.
  let failure: unknown;
  const keepFailure = (error: unknown): void => {
    failure ??= error;
  };
  let pending: Promise<void> = context.progress({
    type: "progress",
    progress: 0,
    phase: resume ? "resume" : "start",
  }).catch(keepFailure);
  const toJobEvent = jobEventMapper();
  // Each checkpoint sends only what changed since the last (the best model only when it improved).
  const checkpointed: UploadedFiles = new Map();
  // Training awaits the returned chain after each iteration: a cancel seen while reporting that
  // iteration (context.progress aborts the signal) stops the run before the next one.
  const onProgress = (event: TrainProgress): Promise<void> => {
    const jobEvent = toJobEvent(event);
    pending = pending.then(async () => {
      if (failure) return;
      if (event.kind === "checkpoint") {
        await uploadFolder(blob, out, checkpointPrefix, checkpointed);
      }
      await context.progress(jobEvent);
    }).catch(keepFailure);
    return pending;
  };
  const result = await train(
    {
      preset: request.preset,
      overrides: request.overrides,
      data,
      out,
      resume,
      knowledge,
    },
    { onProgress, signal: context.signal },
  );
  await pending;
  if (failure) throw failure;
  context.signal.throwIfAborted();

  // Deterministic id: a redelivered job that already registered its model finds it again.
  const modelId = `model_${job.id.replace(/^job_/, "")}`;
  const registry = new ModelRegistry(redis);
  let model = await registry.get(job.tenantId, modelId);
  if (!model) {
    await uploadFolder(blob, out, blobKeys.model(job.tenantId, modelId));
    const metrics: Record<string, number> = { iterations: result.iterations };
    // A diverged run's NaN loss is left out rather than recorded as a number it is not.
    if (Number.isFinite(result.finalLoss)) metrics.finalLoss = result.finalLoss;
    const dice = result.validationDice;
    if (dice !== undefined && Number.isFinite(dice)) metrics.validationDice = dice;
    model = await registry.create(job.tenantId, modelId, {
      jobId: job.id,
      datasetId: request.datasetId,
      descriptorSetId: request.descriptorSetId,
      config: result.config,
      metrics,
    }, blobKeys.model(job.tenantId, modelId));
  }
  const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value, null, 2));
  await blob.put(blobKeys.result(job.tenantId, job.id, "metrics"), json(model.lineage.metrics));
  const { blobPrefix: _prefix, ...publicModel } = model;
  await blob.put(blobKeys.result(job.tenantId, job.id, "model"), json(publicModel));
  return { results: ["metrics", "model"], modelId };
}
