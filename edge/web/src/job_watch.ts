/** Follows one job's event stream (SSE) into a {@link TrainingView} that re-renders live. */
import { useEffect, useState } from "preact/hooks";
import { finalStatuses, type JobStatus } from "../../../shared/contracts/jobs.ts";
import type { Api } from "./api.ts";
import { applyJobEvent, emptyTrainingView, type TrainingView } from "./progress.ts";
import { followEventStream } from "./sse.ts";

/** Live view of job `jobId`; the stream closes itself after a final status or on unmount. */
export function useJobEvents(api: Api, jobId: string): TrainingView & { streamError?: string } {
  const [view, setView] = useState<TrainingView & { streamError?: string }>(emptyTrainingView);
  useEffect(() => {
    setView(emptyTrainingView);
    const abort = new AbortController();
    let current: TrainingView = emptyTrainingView;
    let startedAt = 0;
    const done = (): boolean => finalStatuses.includes(current.status as JobStatus);
    followEventStream(api.jobEventsUrl(jobId), {
      headers: api.authHeaders,
      signal: abort.signal,
      isDone: done,
      onEvent(event) {
        if (abort.signal.aborted) return; // a chunk read before the abort: not this view's any more
        const now = Date.now();
        if (!startedAt) startedAt = now;
        try {
          current = applyJobEvent(current, event.data, startedAt, now);
          setView(current);
        } catch (error) {
          setView({
            ...current,
            streamError: `bad event ${event.id}: ${(error as Error).message}`,
          });
        }
      },
    }).catch((error: Error) => {
      if (!abort.signal.aborted) setView({ ...current, streamError: error.message });
    });
    return () => abort.abort();
  }, [api, jobId]);
  return view;
}
