import { deepEqual, equal } from "node:assert/strict";
import { ProgressEvent } from "../../shared/contracts/events.ts";
import { jobEventMapper } from "./train_events.ts";

const iteration = (i: number, loss = 0.5) => ({
  kind: "iteration" as const,
  iteration: i,
  maxIterations: 4,
  loss,
  lossSupervised: 0.4,
  lossUnsupervised: 0.2,
  unsupWeight: 0.5,
  lr: 0.01 * (5 - i),
  iterationsPerSecond: 2,
  etaSeconds: (4 - i) / 2,
});

Deno.test("jobEventMapper passes lr, ETA and loss parts, valid under the contract", () => {
  const event = jobEventMapper()(iteration(1));
  deepEqual(ProgressEvent.parse(event), {
    type: "progress",
    progress: 0.25,
    phase: "train",
    iteration: 1,
    loss: 0.5,
    lossSupervised: 0.4,
    lossUnsupervised: 0.2,
    lr: 0.04,
    etaSeconds: 1.5,
  });
});

Deno.test("jobEventMapper: validation and checkpoint report their iteration's fraction", () => {
  const map = jobEventMapper();
  equal(map({ kind: "checkpoint", iteration: 0, path: "c" }).progress, 0);
  map(iteration(1));
  map(iteration(2));
  const validation = map({
    kind: "validation",
    iteration: 2,
    dice: 0.8,
    jaccard: 0.7,
    hd95: 2,
    asd: 1,
    cases: 1,
    best: true,
  });
  equal(validation.progress, 0.5);
  equal(validation.dice, 0.8);
  equal(map({ kind: "checkpoint", iteration: 2, path: "c" }).progress, 0.5);
});

Deno.test("jobEventMapper leaves out a diverged loss rather than sending NaN", () => {
  const event = JSON.parse(JSON.stringify(jobEventMapper()(iteration(3, Number.NaN))));
  equal("loss" in event, false);
  equal(ProgressEvent.parse(event).iteration, 3);
});
