/**
 * Resumable training checkpoints in one safetensors file: every tensor group (network states,
 * optimiser buffers) under `<group>/<name>`, and in `__metadata__` the iteration, the named RNG
 * states and a JSON `info` object, so a resumed run continues exactly where it stopped.
 */
import type * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { UserError } from "@llmseg/shared";
import { readSafetensors, type TensorEntry, writeSafetensors } from "./safetensors.ts";
import { entriesWithPrefix, stateToEntries } from "./state.ts";

const FORMAT = "llmseg.checkpoint/v1";

/** What a training run saves. */
export interface TrainingCheckpoint {
  /** Iterations completed. */
  iteration: number;
  /** `Rng.state` of every generator by role (sampler, augmentation, dropout, …). */
  rngStates: Record<string, readonly number[]>;
  /** Tensor groups by name, e.g. `a` → `net.namedState()`, `sgd-a` → momentum buffers. */
  groups: Record<string, ReadonlyMap<string, tf.Tensor>>;
  /** Any JSON-serialisable extras (configuration, sampler positions, best score). */
  info: Record<string, unknown>;
}

/** A checkpoint as read back: groups hold raw entries for `loadState` or `tf.tensor`. */
export interface LoadedTrainingCheckpoint {
  iteration: number;
  rngStates: Record<string, [number, number, number, number]>;
  groups: Record<string, Map<string, TensorEntry>>;
  info: Record<string, unknown>;
}

const MetadataSchema = z.object({
  format: z.literal(FORMAT),
  iteration: z.string().regex(/^\d+$/),
  rng: z.string(),
  groups: z.string(),
  info: z.string(),
});

const RngStatesSchema = z.record(
  z.string(),
  z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int()]),
);

/** Writes the checkpoint atomically to `path`. */
export async function saveTrainingCheckpoint(
  path: string,
  checkpoint: TrainingCheckpoint,
): Promise<void> {
  const tensors = new Map<string, TensorEntry>();
  for (const [group, state] of Object.entries(checkpoint.groups)) {
    if (group.includes("/")) throw new Error(`checkpoint group name ${group} must not contain '/'`);
    for (const [name, entry] of await stateToEntries(state, `${group}/`)) tensors.set(name, entry);
  }
  await writeSafetensors(path, {
    tensors,
    metadata: {
      format: FORMAT,
      iteration: String(checkpoint.iteration),
      rng: JSON.stringify(checkpoint.rngStates),
      groups: JSON.stringify(Object.keys(checkpoint.groups)),
      info: JSON.stringify(checkpoint.info),
    },
  });
}

/** Reads a checkpoint written by {@link saveTrainingCheckpoint}; refuses anything else clearly. */
export async function loadTrainingCheckpoint(path: string): Promise<LoadedTrainingCheckpoint> {
  const file = await readSafetensors(path);
  const meta = MetadataSchema.safeParse(file.metadata);
  if (!meta.success) {
    throw new UserError(
      "invalid_checkpoint",
      `${path}: not an llmseg training checkpoint (metadata: ${
        z.prettifyError(meta.error).replaceAll("\n", " ")
      })`,
    );
  }
  let rngStates: LoadedTrainingCheckpoint["rngStates"];
  let groupNames: string[];
  let info: Record<string, unknown>;
  try {
    rngStates = RngStatesSchema.parse(JSON.parse(meta.data.rng));
    groupNames = z.array(z.string()).parse(JSON.parse(meta.data.groups));
    info = z.record(z.string(), z.unknown()).parse(JSON.parse(meta.data.info));
  } catch (error) {
    throw new UserError(
      "invalid_checkpoint",
      `${path}: malformed checkpoint metadata (${(error as Error).message})`,
    );
  }
  const groups: LoadedTrainingCheckpoint["groups"] = {};
  for (const group of groupNames) groups[group] = entriesWithPrefix(file.tensors, `${group}/`);
  return { iteration: Number(meta.data.iteration), rngStates, groups, info };
}
