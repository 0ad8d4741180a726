/** Training: start a run from a preset, then watch loss, learning rate, Dice and ETA live; cancel. */
import type { JSX } from "preact";
import type { z } from "zod";
import { useEffect, useState } from "preact/hooks";
import { finalStatuses, type JobRecord, TrainPreset } from "../../../../shared/contracts/jobs.ts";
import type { Api } from "../api.ts";
import { LineChart } from "../chart.tsx";
import { ErrorNote, formatTime, Loaded, NotFound, Section } from "../components.tsx";
import { useAsync, useFormAction } from "../hooks.ts";
import { useJobEvents } from "../job_watch.ts";
import { formatDuration } from "../progress.ts";
import { trainOverrides } from "../train_overrides.ts";

/** Built-in presets of the learning core (`gpu-worker/training`); `smoke` is the tiny one. */
const presets: { id: z.infer<typeof TrainPreset>; text: string }[] = [
  { id: "smoke", text: "smoke — tiny network, a few iterations (minutes on a CPU)" },
  { id: "hippocampus", text: "hippocampus — MSD Task04, MRI" },
  { id: "la", text: "la — left atrium, LGE-MRI (paper)" },
  { id: "pancreas", text: "pancreas — CT (paper)" },
  { id: "brats", text: "brats — whole tumour, FLAIR (paper)" },
];

export function TrainPage(props: { api: Api; jobId?: string }): JSX.Element {
  const { api, jobId } = props;
  // The watched job's live state: the job list below reloads when its status changes and shows
  // its progress from the event stream in between (no polling).
  const [watched, setWatched] = useState<LiveJob>({ status: "", progress: 0 });
  const jobs = useAsync(() => api.listJobs(), [api, jobId, watched.status]);
  return (
    <>
      <h1>Training</h1>
      {jobId
        // Keyed: another job gets a fresh watcher, never a frame of the previous job's state.
        ? <JobWatch key={jobId} api={api} jobId={jobId} onChange={setWatched} />
        : <TrainForm api={api} />}
      <Section title="Training jobs">
        <Loaded state={jobs}>
          {(list) => (
            <JobTable
              jobs={list.filter((j) => j.kind === "train")}
              live={jobId ? { id: jobId, progress: watched.progress } : undefined}
            />
          )}
        </Loaded>
      </Section>
    </>
  );
}

function TrainForm(props: { api: Api }): JSX.Element {
  const { api } = props;
  const datasets = useAsync(() => api.listDatasets(), [api]);
  const sets = useAsync(() => api.listDescriptorSets(), [api]);
  const [datasetId, setDatasetId] = useState("");
  const [descriptorSetId, setDescriptorSetId] = useState("");
  const [preset, setPreset] = useState<z.infer<typeof TrainPreset>>("smoke");
  const [iterations, setIterations] = useState("");
  const [width, setWidth] = useState("");
  const [validateEvery, setValidateEvery] = useState("");
  const { submit, error } = useFormAction(async () => {
    const job = await api.submitJob({
      kind: "train",
      preset,
      overrides: trainOverrides({ iterations, width, validateEvery }),
      datasetId: datasetId || undefined,
      descriptorSetId: descriptorSetId || undefined,
    });
    location.hash = `#/train/${job.id}`;
  });

  return (
    <Section title="Start a training run">
      <form onSubmit={submit}>
        <div class="row">
          <span class="field">
            <label for="train-dataset">Dataset</label>
            <select
              id="train-dataset"
              value={datasetId}
              onChange={(e) => setDatasetId(e.currentTarget.value)}
            >
              <option value="">built-in synthetic example (no upload needed)</option>
              {datasets.data?.map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
            </select>
          </span>
          <span class="field">
            <label for="train-descriptors">Descriptor set</label>
            <select
              id="train-descriptors"
              value={descriptorSetId}
              onChange={(e) => setDescriptorSetId(e.currentTarget.value)}
            >
              <option value="">none (no text knowledge)</option>
              {sets.data?.map((s) => <option key={s.id} value={s.id}>{s.id} — {s.structure}
              </option>)}
            </select>
          </span>
          <span class="field">
            <label for="train-preset">Preset</label>
            <select
              id="train-preset"
              value={preset}
              onChange={(e) => setPreset(TrainPreset.parse(e.currentTarget.value))}
            >
              {presets.map((p) => <option key={p.id} value={p.id}>{p.text}</option>)}
            </select>
          </span>
          <OverrideInput
            id="train-iterations"
            label="Iterations"
            value={iterations}
            onInput={setIterations}
          />
          <OverrideInput
            id="train-width"
            label="Width (filters)"
            value={width}
            onInput={setWidth}
          />
          <OverrideInput
            id="train-validate-every"
            label="Validate every (iterations)"
            value={validateEvery}
            onInput={setValidateEvery}
          />
        </div>
        <button type="submit">Start training</button>
        <ErrorNote message={error ?? datasets.error ?? sets.error} />
      </form>
    </Section>
  );
}

/** A positive whole-number override of the preset; left empty, the preset's value stands. */
function OverrideInput(props: {
  id: string;
  label: string;
  value: string;
  onInput(value: string): void;
}): JSX.Element {
  return (
    <span class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="number"
        min={1}
        step={1}
        placeholder="preset's"
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </span>
  );
}

/** What the job list takes from the watched job's event stream. */
interface LiveJob {
  status: string;
  progress: number;
}

/**
 * One training job: its record first (a missing or foreign id gets the not-found page, never a
 * "queued" badge with a Cancel button), then its live progress.
 */
function JobWatch(
  props: { api: Api; jobId: string; onChange(live: LiveJob): void },
): JSX.Element {
  const { api, jobId } = props;
  const [final, setFinal] = useState(false);
  const job = useAsync(() => api.getJob(jobId), [api, jobId, final]);
  if (job.notFound) {
    return (
      <NotFound
        what="training job"
        id={jobId}
        back={{ href: "#/train", text: "All training jobs" }}
      />
    );
  }
  if (!job.data) return <Loaded state={job}>{() => null}</Loaded>;
  if (job.data.kind !== "train") {
    return (
      <NotFound
        what="training job"
        id={jobId}
        back={{ href: `#/infer/${jobId}`, text: `Open ${jobId} as an inference job` }}
      />
    );
  }
  return <JobLive {...props} job={job.data} onFinal={() => setFinal(true)} />;
}

/** Live progress of one job: bar, phase, ETA, the three series, cancel and the result. */
function JobLive(
  props: { api: Api; job: JobRecord; onChange(live: LiveJob): void; onFinal(): void },
): JSX.Element {
  const { api, job, onChange } = props;
  const view = useJobEvents(api, job.id);
  const final = finalStatuses.includes(view.status as JobRecord["status"]);
  useEffect(() => {
    onChange({ status: view.status, progress: view.progress });
    if (final) props.onFinal();
  }, [view.status, view.progress]);
  // Said at once: the worker stops at the end of the iteration it is in, seconds later.
  const [cancelling, setCancelling] = useState(job.cancelRequested);
  const [cancelError, setCancelError] = useState<string>();
  const cancel = async (): Promise<void> => {
    setCancelling(true);
    setCancelError(undefined);
    try {
      await api.cancelJob(job.id);
    } catch (err) {
      setCancelling(false);
      setCancelError((err as Error).message);
    }
  };
  const status = !final && cancelling ? "cancelling" : view.status;
  return (
    <Section title={`Job ${job.id}`}>
      <div class="status-line" role="status" aria-live="polite">
        <span class={`badge ${status}`} data-testid="job-status">{status}</span>
        <progress max={1} value={view.progress} aria-label="Progress" />
        <span>{Math.round(view.progress * 100)} %</span>
        {!final && view.phase && <span class="muted">{view.phase}</span>}
        {!final && !cancelling && view.etaSeconds !== undefined && (
          <span>ETA {formatDuration(view.etaSeconds)}</span>
        )}
      </div>
      {!final && (
        <button type="button" class="danger" onClick={cancel} disabled={cancelling}>
          {cancelling ? "Cancelling…" : "Cancel job"}
        </button>
      )}
      {!final && cancelling && (
        <p class="muted small">
          The run stops at the end of the iteration it is in and keeps its last checkpoint.
        </p>
      )}
      <ErrorNote message={cancelError ?? view.error ?? view.streamError} />
      <div class="charts">
        <LineChart label="Loss" series="loss" points={view.loss} />
        <LineChart label="Learning rate" series="lr" points={view.lr} digits={6} />
        <LineChart label="Validation Dice" series="dice" points={view.dice} domain={[0, 1]} />
      </div>
      {job.modelId && (
        <p class="ok">
          Model <a href="#/models">{job.modelId}</a> is ready — <a href="#/infer">run inference</a>.
        </p>
      )}
    </Section>
  );
}

/** The tenant's training jobs; `live` is the watched job's progress, newer than its record's. */
function JobTable(
  props: { jobs: JobRecord[]; live?: { id: string; progress: number } },
): JSX.Element {
  const { live } = props;
  const progress = (j: JobRecord): number =>
    live?.id === j.id ? Math.max(j.progress, live.progress) : j.progress;
  if (props.jobs.length === 0) return <p class="muted">No training jobs yet.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Job</th>
          <th>Status</th>
          <th>Progress</th>
          <th>Model</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {props.jobs.map((j) => (
          <tr key={j.id}>
            <td>
              <a href={`#/train/${j.id}`}>{j.id}</a>
            </td>
            <td>
              <span class={`badge ${j.status}`}>{j.status}</span>
            </td>
            <td data-testid="job-progress">{Math.round(progress(j) * 100)} %</td>
            <td>{j.modelId ?? "—"}</td>
            <td>{formatTime(j.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
