import { blobKeys } from "../../shared/blob/keys.ts";
import type { ResultName } from "../../shared/contracts/jobs.ts";
import { UserError } from "../../shared/errors.ts";
import type { VoxelArray } from "../../shared/volume/mod.ts";
import { encodeNifti } from "../../shared/volume/mod.ts";
import { inferVolume } from "../inferers/mod.ts";
import type { JobContext, JobOutcome } from "./context.ts";
import { loadModelFolder, loadScanVolume } from "./load_inputs.ts";

/**
 * The stated rule for NaN and ±Inf voxels: refused, never segmented (they would give an all-NaN
 * probability map and an empty mask that look like a result). Uploads are checked too; this
 * covers scans stored before that check.
 */
function refuseNonFinite(data: VoxelArray, scanId: string): void {
  let count = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) count++;
  if (count > 0) {
    throw new UserError(
      "invalid_volume",
      `scan ${scanId}: ${count} voxels are NaN or infinite; replace them and upload again`,
    );
  }
}

/**
 * Inference job: the CLI's `inferVolume` on the uploaded scan with the model version and the
 * request's settings; writes the mask (and, when asked, the probability and uncertainty maps) as
 * NIfTI in the scan's geometry.
 */
export async function runInfer(context: JobContext): Promise<JobOutcome> {
  const { job, blob, redis } = context;
  if (job.request.kind !== "infer") throw new Error(`runInfer got a ${job.request.kind} job`);
  const request = job.request;
  await context.progress({ type: "progress", progress: 0.05, phase: "load" });
  const volume = await loadScanVolume(redis, blob, job.tenantId, request.scanId);
  refuseNonFinite(volume.data, request.scanId);
  const modelDir = await loadModelFolder(
    redis,
    blob,
    job.tenantId,
    request.modelId,
    `${context.workDir}/model`,
  );
  context.signal.throwIfAborted();
  await context.progress({ type: "progress", progress: 0.2, phase: "infer" });
  const result = await inferVolume(modelDir, volume, request);
  const results: ResultName[] = ["mask"];
  await blob.put(
    blobKeys.result(job.tenantId, job.id, "mask"),
    encodeNifti(result.mask, { datatype: "uint8" }),
  );
  if (result.probabilities) {
    await blob.put(
      blobKeys.result(job.tenantId, job.id, "probabilities"),
      encodeNifti(result.probabilities),
    );
    results.push("probabilities");
  }
  if (result.uncertainty) {
    await blob.put(
      blobKeys.result(job.tenantId, job.id, "uncertainty"),
      encodeNifti(result.uncertainty),
    );
    results.push("uncertainty");
  }
  await context.progress({ type: "progress", progress: 1, phase: "write" });
  return { results };
}
