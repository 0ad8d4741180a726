import { blobKeys } from "../../shared/blob/keys.ts";
import { Dataset } from "../../shared/contracts/datasets.ts";
import { UserError } from "../../shared/errors.ts";
import { evaluateMasks } from "../../shared/metrics/mod.ts";
import { getDocument } from "../../shared/queue/documents.ts";
import { keys } from "../../shared/queue/keys.ts";
import { inferVolume } from "../inferers/mod.ts";
import type { JobContext, JobOutcome } from "./context.ts";
import { loadModelFolder, loadScanVolume } from "./load_inputs.ts";

/**
 * Evaluation job: the CLI's `inferVolume` (with the request's settings) on every test pair of the
 * dataset, then Dice, Jaccard, 95HD and ASD per case (docs/METHOD.md 7) against the label; writes
 * `metrics.json` with the settings and the cases.
 */
export async function runEvaluate(context: JobContext): Promise<JobOutcome> {
  const { job, blob, redis } = context;
  if (job.request.kind !== "evaluate") throw new Error(`runEvaluate got a ${job.request.kind} job`);
  const { modelId, datasetId, network, tta, largestComponent } = job.request;
  const dataset = await getDocument(redis, keys.dataset(job.tenantId, datasetId), Dataset);
  if (!dataset) throw new UserError("not_found", `dataset ${datasetId} no longer exists`);
  if (dataset.test.length === 0) {
    throw new UserError("invalid_dataset", `dataset ${datasetId} has no test pairs to evaluate on`);
  }
  const modelDir = await loadModelFolder(
    redis,
    blob,
    job.tenantId,
    modelId,
    `${context.workDir}/model`,
  );
  const cases = [];
  for (const [i, pair] of dataset.test.entries()) {
    context.signal.throwIfAborted();
    const image = await loadScanVolume(redis, blob, job.tenantId, pair.image, "image");
    const label = await loadScanVolume(redis, blob, job.tenantId, pair.label, "label");
    const { mask } = await inferVolume(modelDir, image, job.request);
    cases.push({ image: pair.image, label: pair.label, metrics: evaluateMasks(mask, label) });
    await context.progress({
      type: "progress",
      progress: (i + 1) / dataset.test.length,
      phase: "evaluate",
    });
  }
  const report = { modelId, datasetId, inference: { network, tta, largestComponent }, cases };
  await blob.put(
    blobKeys.result(job.tenantId, job.id, "metrics"),
    new TextEncoder().encode(JSON.stringify(report, null, 2)),
  );
  return { results: ["metrics"] };
}
