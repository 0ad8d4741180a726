export { UserError } from "./errors.ts";
export { Rng } from "./random.ts";
