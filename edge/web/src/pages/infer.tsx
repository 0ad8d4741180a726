/**
 * Inference: segment one scan with one model version, follow the job, then view the mask and the
 * uncertainty map over the scan, compare with a label when one is given, and download the results.
 */
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { JobRecord, ResultName } from "../../../../shared/contracts/jobs.ts";
import type { PublicScan as Scan } from "../../../../shared/contracts/scans.ts";
import type { Api } from "../api.ts";
import { ErrorNote, formatTime, Loaded, NotFound, saveBlob, Section } from "../components.tsx";
import { useAsync, useFormAction } from "../hooks.ts";
import { useJobEvents } from "../job_watch.ts";
import { Viewer } from "../viewer.tsx";
import type { OverlapReport } from "../viewer_math.ts";
import { ScanSelect } from "./datasets.tsx";

export function InferPage(props: { api: Api; jobId?: string; labelId?: string }): JSX.Element {
  return (
    <>
      <h1>Inference</h1>
      {props.jobId
        ? (
          <InferJob
            key={props.jobId}
            api={props.api}
            jobId={props.jobId}
            labelId={props.labelId}
          />
        )
        : (
          <>
            <InferForm api={props.api} />
            <InferHistory api={props.api} />
          </>
        )}
    </>
  );
}

/** Every inference job of the tenant, newest first, with its scan and model, to reopen. */
function InferHistory(props: { api: Api }): JSX.Element {
  const { api } = props;
  const jobs = useAsync(() => api.listJobs(), [api]);
  const scans = useAsync(() => api.listScans(), [api]);
  const names = new Map(scans.data?.map((s) => [s.id, s.name]));
  return (
    <Section title="Inference history">
      <Loaded state={jobs}>
        {(list) => {
          const runs = list.flatMap((job) =>
            job.request.kind === "infer" ? [{ job, request: job.request }] : []
          );
          if (runs.length === 0) return <p class="muted">No inference jobs yet.</p>;
          return (
            <table data-testid="infer-history">
              <thead>
                <tr>
                  <th>Job</th>
                  <th>Scan</th>
                  <th>Model</th>
                  <th>Status</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {runs.map(({ job: j, request }) => {
                  return (
                    <tr key={j.id}>
                      <td>
                        <a href={`#/infer/${j.id}`}>{j.id}</a>
                      </td>
                      <td>{names.get(request.scanId) ?? request.scanId}</td>
                      <td>{request.modelId}</td>
                      <td>
                        <span class={`badge ${j.status}`}>{j.status}</span>
                      </td>
                      <td>{formatTime(j.createdAt)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          );
        }}
      </Loaded>
    </Section>
  );
}

/** One inference job: its record first, so a missing or foreign id gets the not-found page. */
function InferJob(props: { api: Api; jobId: string; labelId?: string }): JSX.Element {
  const { api, jobId } = props;
  const job = useAsync(() => api.getJob(jobId), [api, jobId]);
  if (job.notFound) {
    return (
      <NotFound what="inference job" id={jobId} back={{ href: "#/infer", text: "Inference" }} />
    );
  }
  if (!job.data) return <Loaded state={job}>{() => null}</Loaded>;
  if (job.data.kind !== "infer") {
    return (
      <NotFound
        what="inference job"
        id={jobId}
        back={{ href: `#/train/${jobId}`, text: `Open ${jobId} as a training job` }}
      />
    );
  }
  return <InferResult {...props} />;
}

function InferForm(props: { api: Api }): JSX.Element {
  const { api } = props;
  const scans = useAsync(() => api.listScans(), [api]);
  const models = useAsync(() => api.listModels(), [api]);
  const [scanId, setScanId] = useState("");
  const [labelId, setLabelId] = useState("");
  const [modelId, setModelId] = useState("");
  const [uncertainty, setUncertainty] = useState(false);
  const latest = models.data?.reduce((a, b) => (b.version > a.version ? b : a), models.data[0]);
  const { submit, error } = useFormAction(async () => {
    const job = await api.submitJob({
      kind: "infer",
      scanId,
      modelId: modelId || latest!.id,
      probabilities: false,
      uncertainty,
    });
    location.hash = `#/infer/${job.id}${labelId ? `/${labelId}` : ""}`;
  });

  return (
    <Section title="Segment a scan">
      <Loaded state={scans}>
        {(list: Scan[]) => (
          <form onSubmit={submit}>
            <div class="row">
              <ScanSelect
                id="infer-scan"
                label="Scan"
                scans={list}
                value={scanId}
                onChange={setScanId}
              />
              <span class="field">
                <label for="infer-model">Model version</label>
                <select
                  id="infer-model"
                  value={modelId || latest?.id || ""}
                  onChange={(e) => setModelId(e.currentTarget.value)}
                  required
                >
                  {!latest && <option value="">no model yet: train one first</option>}
                  {models.data?.map((m) => (
                    <option key={m.id} value={m.id}>v{m.version} — {m.id}</option>
                  ))}
                </select>
              </span>
              <ScanSelect
                id="infer-label"
                label="Label for metrics (optional)"
                scans={list}
                value={labelId}
                onChange={setLabelId}
              />
            </div>
            <label class="check">
              <input
                type="checkbox"
                checked={uncertainty}
                onChange={(e) => setUncertainty(e.currentTarget.checked)}
              />
              Also compute the uncertainty map (disagreement of the two co-trained networks)
            </label>
            <button type="submit" disabled={!scanId || !latest}>Run inference</button>
            <ErrorNote message={error ?? models.error} />
          </form>
        )}
      </Loaded>
    </Section>
  );
}

const resultFiles: Record<ResultName, string> = {
  mask: "mask.nii.gz",
  probabilities: "probabilities.nii.gz",
  uncertainty: "uncertainty.nii.gz",
  metrics: "metrics.json",
  model: "model.tar",
};

function InferResult(props: { api: Api; jobId: string; labelId?: string }): JSX.Element {
  const { api, jobId, labelId } = props;
  const view = useJobEvents(api, jobId);
  const job = useAsync(() => api.getJob(jobId), [api, jobId, view.status]);
  return (
    <Section title={`Job ${jobId}`}>
      <div class="status-line" role="status" aria-live="polite">
        <span class={`badge ${view.status}`} data-testid="job-status">{view.status}</span>
        <progress max={1} value={view.progress} aria-label="Progress" />
        <span>{Math.round(view.progress * 100)} %</span>
      </div>
      <ErrorNote message={view.error ?? view.streamError ?? job.error} />
      {job.data?.status === "completed" && <Completed api={api} job={job.data} labelId={labelId} />}
    </Section>
  );
}

function Completed(props: { api: Api; job: JobRecord; labelId?: string }): JSX.Element {
  const { api, job, labelId } = props;
  const [overlap, setOverlap] = useState<OverlapReport>();
  const [error, setError] = useState<string>();
  const scanIds = job.request.kind === "infer" ? [job.request.scanId, labelId ?? ""] : [];
  // NiiVue reads NIfTI; an HDF5 scan (or label) is segmented all the same but not viewable here.
  const formats = useAsync(
    () => Promise.all(scanIds.filter(Boolean).map(async (id) => (await api.getScan(id)).format)),
    [api, ...scanIds],
  );
  if (job.request.kind !== "infer") {
    return <ErrorNote message="This job is not an inference job." />;
  }
  const request = job.request;
  const download = async (name: ResultName): Promise<void> => {
    try {
      saveBlob(await api.download(api.resultUrl(job.id, name)), `${job.id}-${resultFiles[name]}`);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const downloadReport = (): void => {
    const report = {
      jobId: job.id,
      scanId: request.scanId,
      modelId: request.modelId,
      labelScanId: labelId,
      overlap,
    };
    saveBlob(
      new Blob([JSON.stringify(report, null, 2)], { type: "application/json" }),
      `${job.id}-report.json`,
    );
  };
  return (
    <>
      <Loaded state={formats}>
        {(list) =>
          list.every((format) => format === "nifti")
            ? (
              <Viewer
                headers={api.authHeaders}
                scan={{ url: api.scanFileUrl(request.scanId), name: "scan.nii.gz" }}
                mask={{ url: api.resultUrl(job.id, "mask"), name: "mask.nii.gz" }}
                uncertainty={job.results.includes("uncertainty")
                  ? { url: api.resultUrl(job.id, "uncertainty"), name: "uncertainty.nii.gz" }
                  : undefined}
                label={labelId
                  ? { url: api.scanFileUrl(labelId), name: "label.nii.gz" }
                  : undefined}
                onOverlap={setOverlap}
              />
            )
            : (
              <p class="muted">
                The viewer shows NIfTI scans; this scan or label is HDF5. The mask below opens in
                any NIfTI viewer.
              </p>
            )}
      </Loaded>
      {overlap && (
        <table class="metrics" data-testid="metrics">
          <caption>Agreement with the label</caption>
          <tbody>
            <tr>
              <th>Dice</th>
              <td>{overlap.dice.toFixed(4)}</td>
            </tr>
            <tr>
              <th>Jaccard</th>
              <td>{overlap.jaccard.toFixed(4)}</td>
            </tr>
            <tr>
              <th>Predicted volume</th>
              <td>{overlap.predictedMl.toFixed(2)} mL</td>
            </tr>
            <tr>
              <th>Label volume</th>
              <td>{overlap.labelMl.toFixed(2)} mL</td>
            </tr>
          </tbody>
        </table>
      )}
      <div class="downloads">
        {job.results.map((name) => (
          <button
            type="button"
            class="secondary"
            key={name}
            onClick={() => download(name)}
          >
            Download {resultFiles[name]}
          </button>
        ))}
        <button type="button" class="secondary" onClick={downloadReport}>
          Download report (JSON)
        </button>
      </div>
      <ErrorNote message={error} />
    </>
  );
}
