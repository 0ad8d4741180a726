import type { TrainRequest } from "../../shared/contracts/jobs.ts";
import type { TenantLimits } from "../../shared/contracts/tenants.ts";
import type { TrainConfig } from "../../shared/contracts/train_config.ts";
import { trainLimitProblems } from "../../shared/contracts/train_limits.ts";
import { UserError } from "../../shared/errors.ts";
import { resolveConfig } from "../training/presets.ts";

/**
 * The whole configuration a training job would run with (its preset, its overrides), checked by
 * the learning core's schema and against the tenant's limits. The edge calls it at submit, the
 * worker again before it trains: one rule in both places. Imports no tfjs (the edge loads it).
 *
 * @throws UserError `bad_config` (the schema) or `limit_exceeded` (the tenant's limits)
 */
export function resolveTrainRequest(request: TrainRequest, limits: TenantLimits): TrainConfig {
  const config = resolveConfig(request.preset, request.overrides);
  const problems = trainLimitProblems(config, limits);
  if (problems.length > 0) {
    throw new UserError("limit_exceeded", `over this tenant's limits: ${problems.join("; ")}`);
  }
  return config;
}
