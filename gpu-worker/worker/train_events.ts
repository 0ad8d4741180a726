/**
 * The learning core's progress (`gpu-worker/training/events.ts`) as job events
 * (`shared/contracts/events.ts`): what the web page's loss, learning-rate and Dice charts, its
 * progress bar and ETA are drawn from.
 */
import type { ProgressEvent } from "../../shared/contracts/events.ts";
import type { ProgressEvent as TrainProgress } from "../training/mod.ts";

/** `value` when it is a finite number, else undefined: NaN/Infinity do not survive JSON. */
function finite(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}

/**
 * A mapper for one run. Validation and checkpoint events carry no `maxIterations`; they follow the
 * iteration they belong to, so they report that iteration's fraction (0 before any iteration).
 */
export function jobEventMapper(): (event: TrainProgress) => ProgressEvent {
  let fraction = 0;
  return (event) => {
    if (event.kind === "iteration") {
      fraction = Math.min(1, event.iteration / event.maxIterations);
      return {
        type: "progress",
        progress: fraction,
        phase: "train",
        iteration: event.iteration,
        loss: finite(event.loss),
        lossSupervised: finite(event.lossSupervised),
        lossUnsupervised: finite(event.lossUnsupervised),
        lr: finite(event.lr),
        etaSeconds: finite(Math.max(0, event.etaSeconds)),
      };
    }
    if (event.kind === "validation") {
      return {
        type: "progress",
        progress: fraction,
        phase: "validate",
        iteration: event.iteration,
        dice: finite(event.dice),
      };
    }
    return {
      type: "progress",
      progress: fraction,
      phase: "checkpoint",
      iteration: event.iteration,
    };
  };
}
