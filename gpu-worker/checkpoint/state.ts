/** Moving named tfjs tensors in and out of safetensors entries, with exact name/shape checks. */
import * as tf from "@tensorflow/tfjs";
import { UserError } from "@llmseg/shared";
import { float32Entry, type TensorEntry, toFloat32 } from "./safetensors.ts";

/**
 * Named tensors → float32 entries named `${prefix}${name}`. Reads values asynchronously: WebGPU
 * in Deno cannot `dataSync`.
 */
export async function stateToEntries(
  state: ReadonlyMap<string, tf.Tensor>,
  prefix = "",
): Promise<Map<string, TensorEntry>> {
  const entries = new Map<string, TensorEntry>();
  for (const [name, tensor] of state) {
    const values = await tensor.data() as Float32Array;
    entries.set(`${prefix}${name}`, float32Entry([...tensor.shape], values));
  }
  return entries;
}

/** The entries whose names start with `prefix`, with the prefix removed. */
export function entriesWithPrefix(
  entries: ReadonlyMap<string, TensorEntry>,
  prefix: string,
): Map<string, TensorEntry> {
  const out = new Map<string, TensorEntry>();
  for (const [name, entry] of entries) {
    if (name.startsWith(prefix)) out.set(name.slice(prefix.length), entry);
  }
  return out;
}

/**
 * Assigns saved values to `target` variables. The name sets must be equal and every shape must
 * match; otherwise a UserError names `source`, the missing/unexpected names or the bad shape, and
 * nothing is assigned.
 */
export function loadState(
  target: ReadonlyMap<string, tf.Variable>,
  saved: ReadonlyMap<string, TensorEntry>,
  source: string,
): void {
  const missing = [...target.keys()].filter((name) => !saved.has(name));
  const unexpected = [...saved.keys()].filter((name) => !target.has(name));
  if (missing.length > 0 || unexpected.length > 0) {
    const list = (names: string[]): string =>
      names.length === 0 ? "none" : names.slice(0, 5).join(", ") + (names.length > 5 ? ", …" : "");
    throw new UserError(
      "incompatible_weights",
      `${source}: weights do not fit the network (missing ${missing.length}: ${
        list(missing)
      }; unexpected ${unexpected.length}: ${list(unexpected)})`,
    );
  }
  for (const [name, variable] of target) {
    const entry = saved.get(name)!;
    if (entry.shape.join(",") !== variable.shape.join(",")) {
      throw new UserError(
        "incompatible_weights",
        `${source}: ${name} has shape [${entry.shape}], the network needs [${variable.shape}]`,
      );
    }
  }
  for (const [name, variable] of target) {
    const entry = saved.get(name)!;
    tf.tidy(() => variable.assign(tf.tensor(toFloat32(entry), entry.shape, "float32")));
  }
}
