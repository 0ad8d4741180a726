import { deepEqual, equal, throws } from "node:assert/strict";
import {
  applyJobEvent,
  emptyTrainingView,
  extrapolateEta,
  formatDuration,
  upsert,
} from "./progress.ts";

Deno.test("applyJobEvent builds loss, lr and Dice series and follows status", () => {
  const events = [
    { type: "progress", progress: 0.25, phase: "train", iteration: 1, loss: 0.9, lr: 0.01 },
    { type: "progress", progress: 0.5, phase: "validate", iteration: 2, dice: 0.4 },
    { type: "status", status: "completed" },
  ];
  const view = events.reduce(
    (v, e, i) => applyJobEvent(v, JSON.stringify(e), 0, 1000 * (i + 1)),
    emptyTrainingView,
  );
  deepEqual(view.loss, [{ x: 1, y: 0.9 }]);
  deepEqual(view.lr, [{ x: 1, y: 0.01 }]);
  deepEqual(view.dice, [{ x: 2, y: 0.4 }]);
  equal(view.progress, 0.5);
  equal(view.phase, "validate");
  equal(view.status, "completed");
  // 2 s elapsed at half way: 2 s left.
  equal(view.etaSeconds, 2);
});

Deno.test("applyJobEvent keeps the furthest progress when a resumed run reports less", () => {
  const train = JSON.stringify({ type: "progress", progress: 0.5, phase: "train", iteration: 2 });
  const resume = JSON.stringify({ type: "progress", progress: 0, phase: "resume" });
  const view = applyJobEvent(applyJobEvent(emptyTrainingView, train, 0, 1000), resume, 0, 3000);
  equal(view.progress, 0.5);
  equal(view.etaSeconds, 3);
});

Deno.test("applyJobEvent prefers the worker's ETA and rejects a malformed event", () => {
  const data = JSON.stringify({ type: "progress", progress: 0.1, phase: "t", etaSeconds: 42 });
  equal(applyJobEvent(emptyTrainingView, data, 0, 5000).etaSeconds, 42);
  throws(() =>
    applyJobEvent(emptyTrainingView, JSON.stringify({ type: "progress", progress: 2 }), 0, 0)
  );
});

Deno.test("extrapolateEta and formatDuration", () => {
  equal(extrapolateEta(0, 1000), undefined);
  equal(extrapolateEta(0.2, 10_000), 40);
  equal(formatDuration(12.4), "12 s");
  equal(formatDuration(185), "3 min 05 s");
  equal(formatDuration(3720), "1 h 02 min");
});

Deno.test("upsert keeps one point per iteration, in order, the latest winning", () => {
  const resumed = [{ x: 1, y: 5 }, { x: 3, y: 2 }, { x: 2, y: 4 }, { x: 3, y: 1 }].reduce(
    (series, point) => upsert(series, point),
    [] as { x: number; y: number }[],
  );
  deepEqual(resumed, [{ x: 1, y: 5 }, { x: 2, y: 4 }, { x: 3, y: 1 }]);
});
