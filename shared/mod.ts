export { UserError } from "./errors.ts";
export { Rng } from "./random.ts";
export * from "./metrics/mod.ts";
export * from "./volume/mod.ts";
export * from "./dataset/mod.ts";
export * from "./knowledge/mod.ts";
