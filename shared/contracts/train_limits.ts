import type { TenantLimits } from "./tenants.ts";
import type { TrainConfig } from "./train_config.ts";

/**
 * How a resolved training configuration exceeds the tenant's limits, one `field: reason` each
 * (empty when it fits). The edge refuses such a job at submit; the worker checks again.
 */
export function trainLimitProblems(config: TrainConfig, limits: TenantLimits): string[] {
  const problems: string[] = [];
  if (config.maxIterations > limits.maxIterations) {
    problems.push(
      `maxIterations: ${config.maxIterations} exceeds this tenant's ${limits.maxIterations}`,
    );
  }
  const patchVoxels = config.patch[0] * config.patch[1] * config.patch[2];
  if (patchVoxels > limits.maxPatchVoxels) {
    problems.push(
      `patch: [${config.patch}] is ${patchVoxels} voxels, over this tenant's ${limits.maxPatchVoxels}`,
    );
  }
  if (config.nFilters > limits.maxFilters) {
    problems.push(`nFilters: ${config.nFilters} exceeds this tenant's ${limits.maxFilters}`);
  }
  return problems;
}
