import type { BlobStore } from "../../shared/blob/store.ts";
import { Dataset } from "../../shared/contracts/datasets.ts";
import { UserError } from "../../shared/errors.ts";
import { getDocument } from "../../shared/queue/documents.ts";
import { keys } from "../../shared/queue/keys.ts";
import type { RedisClient } from "../../shared/queue/redis.ts";
import { encodeNifti } from "../../shared/volume/mod.ts";
import { loadScanRecord, loadScanVolume } from "./load_inputs.ts";

/**
 * Writes a tenant's dataset as an nnU-Net folder under `dir` (`imagesTr/{case}_0000.nii.gz`,
 * `labelsTr/{case}.nii.gz`; unlabelled cases have no label file) plus a dataset description JSON
 * naming the split by case id, the form `train` and `loadTrainingData` read. NIfTI uploads are copied as they are; HDF5 ones converted.
 *
 * @returns the path of the description JSON
 */
export async function materializeDataset(
  redis: RedisClient,
  blob: BlobStore,
  tenantId: string,
  datasetId: string,
  dir: string,
): Promise<string> {
  const dataset = await getDocument(redis, keys.dataset(tenantId, datasetId), Dataset);
  if (!dataset) throw new UserError("not_found", `dataset ${datasetId} no longer exists`);
  await Deno.mkdir(`${dir}/imagesTr`, { recursive: true });
  await Deno.mkdir(`${dir}/labelsTr`, { recursive: true });

  const writeScan = async (scanId: string, path: string, hdf5Dataset: string): Promise<void> => {
    const scan = await loadScanRecord(redis, tenantId, scanId);
    if (scan.format === "nifti" && scan.name.toLowerCase().endsWith(".gz")) {
      const bytes = await blob.read(scan.blobKey);
      if (!bytes) throw new UserError("not_found", `scan ${scanId}: its file is gone`);
      await Deno.writeFile(path, bytes);
    } else {
      const volume = await loadScanVolume(redis, blob, tenantId, scanId, hdf5Dataset);
      await Deno.writeFile(path, encodeNifti(volume));
    }
  };
  // nnU-Net naming: image channel 0 is `{case}_0000.nii.gz`, the label `{case}.nii.gz`.
  const caseId = (i: number): string => `case${i}`;
  const split = { labelled: [] as string[], unlabelled: [] as string[], test: [] as string[] };
  let i = 0;
  for (const [group, pairs] of [["labelled", dataset.labelled], ["test", dataset.test]] as const) {
    for (const pair of pairs) {
      const id = caseId(i++);
      await writeScan(pair.image, `${dir}/imagesTr/${id}_0000.nii.gz`, "image");
      await writeScan(pair.label, `${dir}/labelsTr/${id}.nii.gz`, "label");
      split[group].push(id);
    }
  }
  for (const scanId of dataset.unlabelled) {
    const id = caseId(i++);
    await writeScan(scanId, `${dir}/imagesTr/${id}_0000.nii.gz`, "image");
    split.unlabelled.push(id);
  }
  const description = {
    source: { layout: "nnunet", root: dir },
    split,
    binarizeLabel: dataset.labels !== "classes",
  };
  const path = `${dir}/dataset.json.description.json`;
  await Deno.writeTextFile(path, JSON.stringify(description, null, 2));
  return path;
}
