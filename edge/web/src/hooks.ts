/** Small state helpers shared by the pages. */
import { useCallback, useEffect, useState } from "preact/hooks";
import { isNotFound } from "./api.ts";

/** The state of one asynchronous load: data, or the error's message, and a way to reload. */
export interface AsyncState<T> {
  data?: T;
  error?: string;
  /** The load failed with the edge's 404: a missing or foreign id. */
  notFound?: boolean;
  loading: boolean;
  reload(): void;
}

/** Runs `load` on mount and whenever `deps` change; `reload()` runs it again. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [state, setState] = useState<Omit<AsyncState<T>, "reload">>({
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: Error) =>
        live && setState({ error: error.message, notFound: isNotFound(error), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** The part of `location.hash` after `#/`, split on `/`: `#/train/j1` → `["train", "j1"]`. */
export function useHashRoute(): string[] {
  const read = (): string[] => location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = (): void => setRoute(read());
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

/** A form's submit handler, whether it is running, and the message of what it last threw. */
export interface FormAction {
  submit(e: Event): Promise<void>;
  busy: boolean;
  error?: string;
}

/**
 * Wraps `action` as a form's submit handler: it stops the page reload, clears the last error,
 * marks the form busy while `action` runs, and keeps the message of anything it throws.
 */
export function useFormAction(action: () => Promise<void>): FormAction {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { submit, busy, error };
}
