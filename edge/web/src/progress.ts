/**
 * Turns a training job's event stream into what the training page draws: loss, learning rate and
 * validation Dice against iteration, the fraction done and an ETA.
 */
import { JobEvent } from "../../../shared/contracts/events.ts";

/** One (iteration, value) point of a chart series. */
export interface Point {
  x: number;
  y: number;
}

/** Everything the training page shows, rebuilt from events only. */
export interface TrainingView {
  progress: number;
  phase: string;
  status: string;
  error?: string;
  loss: Point[];
  lr: Point[];
  dice: Point[];
  /** Seconds left: the worker's estimate when given, else extrapolated from progress. */
  etaSeconds?: number;
}

export const emptyTrainingView: TrainingView = {
  progress: 0,
  phase: "",
  status: "queued",
  loss: [],
  lr: [],
  dice: [],
};

/**
 * Folds one SSE `data` payload into the view. `startedAtMs`/`nowMs` are the wall times of the
 * first progress event seen and of this one, for the extrapolated ETA
 * `elapsed · (1 − p) / p`.
 */
export function applyJobEvent(
  view: TrainingView,
  data: string,
  startedAtMs: number,
  nowMs: number,
): TrainingView {
  const event = JobEvent.parse(JSON.parse(data));
  if (event.type === "status") {
    return { ...view, status: event.status, error: event.error ?? view.error };
  }
  const next: TrainingView = {
    ...view,
    status: view.status === "queued" ? "running" : view.status,
    // A resumed run re-reports iterations before its checkpoint: the bar never moves back.
    progress: Math.max(view.progress, event.progress),
    phase: event.phase,
  };
  if (event.iteration !== undefined) {
    const x = event.iteration;
    if (event.loss !== undefined) next.loss = upsert(view.loss, { x, y: event.loss });
    if (event.lr !== undefined) next.lr = upsert(view.lr, { x, y: event.lr });
    if (event.dice !== undefined) next.dice = upsert(view.dice, { x, y: event.dice });
  }
  next.etaSeconds = event.etaSeconds ?? extrapolateEta(next.progress, nowMs - startedAtMs);
  return next;
}

/**
 * Adds `point` to a series kept sorted by iteration, replacing a point of the same iteration: a
 * job reclaimed by another worker resumes from its last checkpoint and reports those iterations
 * again, and the chart shows the run that counts.
 */
export function upsert(points: Point[], point: Point): Point[] {
  return [...points.filter((p) => p.x !== point.x), point].sort((a, b) => a.x - b.x);
}

/** `elapsed · (1 − p) / p` in seconds; undefined before any progress. */
export function extrapolateEta(progress: number, elapsedMs: number): number | undefined {
  if (progress <= 0) return undefined;
  return (elapsedMs / 1000) * (1 - progress) / progress;
}

/** "1 h 02 min", "3 min 05 s", "12 s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, "0");
  if (h > 0) return `${h} h ${pad(m)} min`;
  if (m > 0) return `${m} min ${pad(s % 60)} s`;
  return `${s} s`;
}
