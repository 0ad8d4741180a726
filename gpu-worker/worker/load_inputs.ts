import type { BlobStore } from "../../shared/blob/store.ts";
import { downloadFolder } from "../../shared/blob/folders.ts";
import { Scan } from "../../shared/contracts/scans.ts";
import { UserError } from "../../shared/errors.ts";
import { getDocument } from "../../shared/queue/documents.ts";
import { keys } from "../../shared/queue/keys.ts";
import { ModelRegistry } from "../../shared/queue/models.ts";
import type { RedisClient } from "../../shared/queue/redis.ts";
import { decodeVolume, type Volume } from "../../shared/volume/mod.ts";

/** A tenant's scan record or a UserError (deleted since the job was queued). */
export async function loadScanRecord(
  redis: RedisClient,
  tenantId: string,
  scanId: string,
): Promise<Scan> {
  const scan = await getDocument(redis, keys.scan(tenantId, scanId), Scan);
  if (!scan) throw new UserError("not_found", `scan ${scanId} no longer exists`);
  return scan;
}

/** Decodes a tenant's uploaded scan (HDF5: `dataset`, default the image). */
export async function loadScanVolume(
  redis: RedisClient,
  blob: BlobStore,
  tenantId: string,
  scanId: string,
  dataset?: string,
): Promise<Volume> {
  const scan = await loadScanRecord(redis, tenantId, scanId);
  const bytes = await blob.read(scan.blobKey);
  if (!bytes) throw new UserError("not_found", `scan ${scanId}: its file is gone`);
  const name = scan.format === "hdf5" && dataset ? `${scan.name}#${dataset}` : scan.name;
  return await decodeVolume(bytes, name);
}

/** Downloads a tenant's model version into `dir`; resolves to `dir`. */
export async function loadModelFolder(
  redis: RedisClient,
  blob: BlobStore,
  tenantId: string,
  modelId: string,
  dir: string,
): Promise<string> {
  const model = await new ModelRegistry(redis).get(tenantId, modelId);
  if (!model) throw new UserError("not_found", `model ${modelId} no longer exists`);
  if (await downloadFolder(blob, model.blobPrefix, dir) === 0) {
    throw new Error(`model ${modelId}: no files under ${model.blobPrefix}`);
  }
  return dir;
}
