/** Presentational pieces every page uses. */
import type { ComponentChildren, JSX } from "preact";
import type { AsyncState } from "./hooks.ts";

/** An error for people: `role="alert"` so screen readers announce it. */
export function ErrorNote(props: { message?: string }): JSX.Element | null {
  if (!props.message) return null;
  return <p class="error" role="alert">{props.message}</p>;
}

/** Renders `children(data)` once loaded; a status line while loading; the error otherwise. */
export function Loaded<T>(
  props: { state: AsyncState<T>; children: (data: T) => ComponentChildren },
): JSX.Element {
  const { state } = props;
  if (state.error) return <ErrorNote message={state.error} />;
  if (state.data === undefined) return <p class="muted" role="status">Loading…</p>;
  return <>{props.children(state.data)}</>;
}

/** A page section with a heading. */
export function Section(props: { title: string; children: ComponentChildren }): JSX.Element {
  return (
    <section class="card">
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}

/** "3.1 MB" */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Short local date-time of an ISO string. */
export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
}

/** Saves a blob under `name` through a temporary object URL. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The page for an id that is not the tenant's: missing, mistyped or another account's (the edge
 * answers 404 alike, and so does the page: no status, no buttons, a way back).
 */
export function NotFound(
  props: { what: string; id?: string; back: { href: string; text: string } },
): JSX.Element {
  return (
    <section class="card not-found" data-testid="not-found">
      <h2>Not found</h2>
      <p>
        {props.id
          ? (
            <>
              There is no {props.what} <code>{props.id}</code> here.
            </>
          )
          : <>There is no such {props.what}.</>} It may be mistyped, deleted, or another account's.
      </p>
      <p>
        <a href={props.back.href}>{props.back.text}</a>
      </p>
    </section>
  );
}

/** How a scan is named in lists: file name, its role, and the end of its id (names repeat). */
export function scanTitle(scan: { id: string; name: string; role?: string }): string {
  return `${scan.name} · ${scan.role ?? "no role"} · …${scan.id.slice(-6)}`;
}
