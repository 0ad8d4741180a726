/**
 * Progress reporting for people and machines: a one-line terminal bar (loss, learning rate,
 * iterations per second, ETA) and a JSON-lines log with one object per event.
 */
import type { ProgressEvent } from "./events.ts";

/** Formats seconds as `1h02m`, `3m04s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  }
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** The bar text for an iteration event, e.g. `[#####.....] 50/100 loss 0.4210 lr 2.7e-2 …`. */
export function progressLine(event: ProgressEvent, width = 24): string {
  switch (event.kind) {
    case "iteration": {
      const done = Math.round((width * event.iteration) / event.maxIterations);
      return `[${"#".repeat(done)}${
        ".".repeat(width - done)
      }] ${event.iteration}/${event.maxIterations}` +
        ` loss ${event.loss.toFixed(4)} (Ls ${event.lossSupervised.toFixed(4)} Lu ${
          event.lossUnsupervised.toFixed(4)
        }) lr ${event.lr.toExponential(2)} ${event.iterationsPerSecond.toFixed(2)} it/s` +
        ` ETA ${formatDuration(event.etaSeconds)}`;
    }
    case "validation":
      return `validation @${event.iteration} (${event.cases} case(s)): Dice ${
        (100 * event.dice).toFixed(2)
      } % Jaccard ${(100 * event.jaccard).toFixed(2)} % 95HD ${event.hd95.toFixed(2)} ASD ${
        event.asd.toFixed(2)
      } (voxels)${event.best ? ", best so far" : ""}`;
    case "checkpoint":
      return `checkpoint @${event.iteration}: ${event.path}`;
  }
}

/**
 * Renders events on a terminal: iteration events rewrite one line (`\r`) when `interactive`,
 * otherwise every `every`-th iteration is printed as its own line; others get their own line.
 */
export function terminalReporter(
  write: (text: string) => void,
  interactive: boolean,
  every = 10,
): (event: ProgressEvent) => void {
  let open = false;
  return (event) => {
    if (event.kind === "iteration") {
      if (interactive) {
        write(`\r\x1b[2K${progressLine(event)}`);
        open = true;
      } else if (event.iteration % every === 0 || event.iteration === event.maxIterations) {
        write(`${progressLine(event)}\n`);
      }
      return;
    }
    write(`${open ? "\n" : ""}${progressLine(event)}\n`);
    open = false;
  };
}

/**
 * Appends one JSON object per event (with a timestamp) to `path`. Writes are synchronous: the
 * training loop rarely yields to the event loop, and a log that is only flushed at the end is no
 * use to someone following a long run.
 */
export async function openJsonLinesLog(path: string): Promise<{
  write(event: ProgressEvent): void;
  close(): void;
}> {
  const file = await Deno.open(path, { create: true, append: true });
  const encoder = new TextEncoder();
  return {
    write(event) {
      const line = encoder.encode(
        JSON.stringify({ time: new Date().toISOString(), ...event }) + "\n",
      );
      for (let done = 0; done < line.length;) done += file.writeSync(line.subarray(done));
    },
    close() {
      file.close();
    },
  };
}
