/**
 * The page's one door to the edge's HTTP API (`/v1`, see `/v1/openapi.json`): every request goes
 * through {@link Api}, which adds the tenant's API key and validates each answer with the zod
 * contracts of `shared/contracts/`, so a contract drift shows as a clear error, not a blank page.
 */
import { z } from "zod";
import { Dataset, type DatasetCreate } from "../../../shared/contracts/datasets.ts";
import {
  type DescriptorGenerate,
  DescriptorSetListing,
} from "../../../shared/contracts/descriptors.ts";
import { ErrorBody } from "../../../shared/contracts/errors.ts";
import { JobRecord, type JobRequest, type ResultName } from "../../../shared/contracts/jobs.ts";
import { PublicModel } from "../../../shared/contracts/models.ts";
import { PublicScan, type ScanRole } from "../../../shared/contracts/scans.ts";
import {
  WebhookDelivery,
  WebhookEndpoint,
  type WebhookEndpointCreate,
  WebhookEndpointCreated,
} from "../../../shared/contracts/webhooks.ts";

/** What the page shows of a descriptor set (the edge serves the full `llmseg.descriptor-set/v1`). */
export const DescriptorSetView = z.object({
  id: z.string(),
  task: z.string(),
  structure: z.string(),
  modality: z.string(),
  descriptors: z.array(z.string()),
  provenance: z.object({
    prompt: z.object({ id: z.string() }),
    author: z.union([
      z.object({ kind: z.literal("llm"), model: z.string() }),
      z.object({ kind: z.literal("person"), name: z.string() }),
    ]),
    createdAt: z.string(),
  }),
});
export type DescriptorSetView = z.infer<typeof DescriptorSetView>;

/** A failed request: `code` from the edge's error body (or `network`, `bad_response`). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = "ApiError";
  }
}

/** Whether `error` is the edge's 404: the id does not exist, or is another tenant's. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

/** A list answer `{ [key]: [...] }`, unwrapped to the array. */
function listOf<T extends z.ZodType>(key: string, item: T): z.ZodType<z.infer<T>[]> {
  return z.object({ [key]: z.array(item) }).transform((v) => v[key] as z.infer<T>[]);
}

/** Upload progress callback: bytes sent so far and the total. */
export type UploadProgress = (sent: number, total: number) => void;

/** The typed client. `base` is the edge's origin ("" for the page's own). */
export class Api {
  constructor(readonly apiKey: string, readonly base = "") {}

  get authHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.apiKey}` };
  }

  url(path: string): string {
    return `${this.base}/v1${path}`;
  }

  async #json<T>(schema: z.ZodType<T>, method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url(path), {
        method,
        headers: {
          ...this.authHeaders,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, "network", `cannot reach the service: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) throw errorFrom(response.status, text);
    return parseAnswer(schema, text, `${method} ${path}`);
  }

  /** Checks the key by listing scans (any authenticated read would do). */
  async verify(): Promise<void> {
    await this.listScans();
  }

  listScans(): Promise<PublicScan[]> {
    return this.#json(listOf("scans", PublicScan), "GET", "/scans");
  }

  getScan(id: string): Promise<PublicScan> {
    return this.#json(PublicScan, "GET", `/scans/${encodeURIComponent(id)}`);
  }

  deleteScan(id: string): Promise<unknown> {
    return this.#json(z.unknown(), "DELETE", `/scans/${encodeURIComponent(id)}`);
  }

  /**
   * Uploads one file as the raw request body (`POST /v1/scans?name=&role=`), reporting progress.
   * XMLHttpRequest because `fetch` has no upload progress in browsers.
   */
  uploadScan(file: File, role: ScanRole, onProgress: UploadProgress): Promise<PublicScan> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", this.url(`/scans?name=${encodeURIComponent(file.name)}&role=${role}`));
      for (const [k, v] of Object.entries(this.authHeaders)) xhr.setRequestHeader(k, v);
      xhr.setRequestHeader("content-type", "application/octet-stream");
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total || file.size);
      xhr.onerror = () => reject(new ApiError(0, "network", "the upload was interrupted"));
      xhr.onload = () => {
        try {
          if (xhr.status < 200 || xhr.status >= 300) {
            throw errorFrom(xhr.status, xhr.responseText);
          }
          resolve(parseAnswer(PublicScan, xhr.responseText, "POST /scans"));
        } catch (error) {
          reject(error);
        }
      };
      xhr.send(file);
    });
  }

  listDatasets(): Promise<Dataset[]> {
    return this.#json(listOf("datasets", Dataset), "GET", "/datasets");
  }

  createDataset(body: z.input<typeof DatasetCreate>): Promise<Dataset> {
    return this.#json(Dataset, "POST", "/datasets", body);
  }

  listDescriptorSets(): Promise<DescriptorSetListing[]> {
    return this.#json(listOf("sets", DescriptorSetListing), "GET", "/descriptors");
  }

  getDescriptorSet(id: string): Promise<DescriptorSetView> {
    return this.#json(DescriptorSetView, "GET", `/descriptors/${encodeURIComponent(id)}`);
  }

  generateDescriptorSet(body: z.input<typeof DescriptorGenerate>): Promise<DescriptorSetView> {
    return this.#json(DescriptorSetView, "POST", "/descriptors", body);
  }

  submitJob(body: z.input<typeof JobRequest>): Promise<JobRecord> {
    return this.#json(JobRecord, "POST", "/jobs", body);
  }

  listJobs(): Promise<JobRecord[]> {
    return this.#json(listOf("jobs", JobRecord), "GET", "/jobs");
  }

  getJob(id: string): Promise<JobRecord> {
    return this.#json(JobRecord, "GET", `/jobs/${encodeURIComponent(id)}`);
  }

  cancelJob(id: string): Promise<JobRecord> {
    return this.#json(JobRecord, "POST", `/jobs/${encodeURIComponent(id)}/cancel`);
  }

  jobEventsUrl(id: string): string {
    return this.url(`/jobs/${encodeURIComponent(id)}/events`);
  }

  resultUrl(jobId: string, name: ResultName): string {
    return this.url(`/jobs/${encodeURIComponent(jobId)}/results/${name}`);
  }

  scanFileUrl(scanId: string): string {
    return this.url(`/scans/${encodeURIComponent(scanId)}/file`);
  }

  /** Fetches a binary resource (scan, result) with the key. */
  async download(url: string): Promise<Blob> {
    const response = await fetch(url, { headers: this.authHeaders });
    if (!response.ok) throw errorFrom(response.status, await response.text());
    return await response.blob();
  }

  listModels(): Promise<PublicModel[]> {
    return this.#json(listOf("models", PublicModel), "GET", "/models");
  }

  listWebhooks(): Promise<WebhookEndpoint[]> {
    return this.#json(listOf("endpoints", WebhookEndpoint), "GET", "/webhooks");
  }

  createWebhook(body: z.input<typeof WebhookEndpointCreate>): Promise<WebhookEndpointCreated> {
    return this.#json(WebhookEndpointCreated, "POST", "/webhooks", body);
  }

  deleteWebhook(id: string): Promise<unknown> {
    return this.#json(z.unknown(), "DELETE", `/webhooks/${encodeURIComponent(id)}`);
  }

  listDeliveries(endpointId: string): Promise<WebhookDelivery[]> {
    return this.#json(
      listOf("deliveries", WebhookDelivery),
      "GET",
      `/webhooks/${encodeURIComponent(endpointId)}/deliveries`,
    );
  }
}

/** An {@link ApiError} from a non-2xx answer, with the edge's code and message when it sent one. */
function errorFrom(status: number, text: string): ApiError {
  try {
    const body = ErrorBody.parse(JSON.parse(text));
    return new ApiError(status, body.error.code, body.error.message);
  } catch {
    return new ApiError(status, `http_${status}`, text.slice(0, 200) || `HTTP ${status}`);
  }
}

function parseAnswer<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(200, "bad_response", `${what} did not answer JSON`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ApiError(
      200,
      "bad_response",
      `${what} answered an unexpected shape (${
        issue?.path.join(".") || "root"
      }: ${issue?.message})`,
    );
  }
  return result.data;
}
