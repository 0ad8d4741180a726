/** Learning-rate and loss-weight schedules (docs/METHOD.md 2.3). */
import type { TrainConfig } from "./config.ts";

/**
 * Poly decay `lr = base·(1 − it/max)^power` for 0-based iteration `it` (SSL4MIS CPS: the first
 * step uses the base rate, the rate is recomputed after each step).
 */
export function polyLearningRate(
  base: number,
  iteration: number,
  max: number,
  power: number,
): number {
  return base * Math.pow(1 - iteration / max, power);
}

/** The lineage's sigmoid ramp-up `exp(−5·(1 − clip(t, 0, L)/L)²)` (UA-MT `ramps.py`). */
export function sigmoidRampup(t: number, length: number): number {
  const phase = 1 - Math.min(Math.max(t, 0), length) / length;
  return Math.exp(-5 * phase * phase);
}

/**
 * Weight of L_u at a 0-based iteration: λ = `unsupMaxWeight` throughout (eq 1 literally when λ is
 * 1) or the sigmoid ramp-up to λ.
 */
export function unsupervisedWeight(
  config: Pick<TrainConfig, "unsupSchedule" | "rampupIterations" | "unsupMaxWeight">,
  iteration: number,
): number {
  const shape = config.unsupSchedule === "constant"
    ? 1
    : sigmoidRampup(iteration, config.rampupIterations);
  return config.unsupMaxWeight * shape;
}
