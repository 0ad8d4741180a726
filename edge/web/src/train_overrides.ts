/**
 * The training form's optional fields as the job's `overrides` (`TrainConfig` keys of
 * `gpu-worker/training/config.ts`): blank keeps the preset's value.
 */

/** Form field → config key it overrides. */
const fields = {
  iterations: "maxIterations",
  width: "nFilters",
  validateEvery: "validateEvery",
} as const;

export type TrainOverrideFields = Record<keyof typeof fields, string>;

/** The overrides of the filled fields; a value that is not a positive integer throws, naming it. */
export function trainOverrides(form: TrainOverrideFields): Record<string, number> {
  const overrides: Record<string, number> = {};
  for (const [field, key] of Object.entries(fields)) {
    const text = form[field as keyof TrainOverrideFields].trim();
    if (text === "") continue;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`${field} must be a positive whole number, got '${text}'`);
    }
    overrides[key] = value;
  }
  return overrides;
}
