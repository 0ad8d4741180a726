/**
 * A model folder holds everything inference needs: `model.json` ({@link ModelManifestSchema}),
 * `weights.safetensors` (each member's state under `a/…`, `b/…`) and, with the text branch,
 * `knowledge.json`. Files are written via temp + rename, `model.json` last, so a folder with a
 * `model.json` is complete.
 */
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "@llmseg/shared";
import { createNetwork, type SegmentationNetwork } from "../networks/network.ts";
import {
  type KnowledgeFile,
  KnowledgeFileSchema,
  knowledgeMismatch,
  type Member,
  type ModelManifest,
  ModelManifestSchema,
} from "./model_manifest.ts";
import { writeFileAtomic } from "../../shared/write_atomic.ts";
import { readSafetensors, type TensorEntry, writeSafetensors } from "./safetensors.ts";
import { entriesWithPrefix, loadState, stateToEntries } from "./state.ts";

/** A loaded model: its manifest, one network per member, and the knowledge file if any. */
export interface LoadedModel {
  manifest: ModelManifest;
  networks: Map<Member, SegmentationNetwork>;
  knowledge?: KnowledgeFile;
  dispose(): void;
}

/**
 * Writes a model folder (created if needed). `networks` must match `manifest.members`, and
 * `knowledge` must be given exactly when `manifest.network.beta > 0`.
 */
export async function saveModelFolder(
  dir: string,
  manifest: ModelManifest,
  networks: ReadonlyMap<Member, SegmentationNetwork>,
  knowledge?: KnowledgeFile,
): Promise<void> {
  const checked = ModelManifestSchema.parse(manifest);
  if (checked.members.join() !== [...networks.keys()].join()) {
    throw new Error(`members ${checked.members} but networks ${[...networks.keys()]}`);
  }
  if ((knowledge !== undefined) !== (checked.knowledge !== null)) {
    throw new Error(
      "knowledge.json must be written exactly when the manifest names a knowledge vector",
    );
  }
  const mismatch = knowledge && knowledgeMismatch(checked.knowledge!, knowledge);
  if (mismatch) throw new Error(`knowledge is not the vector the manifest names: ${mismatch}`);
  await Deno.mkdir(dir, { recursive: true });
  const tensors = new Map<string, TensorEntry>();
  for (const [member, network] of networks) {
    for (const [name, entry] of await stateToEntries(network.namedState(), `${member}/`)) {
      tensors.set(name, entry);
    }
  }
  await writeSafetensors(join(dir, "weights.safetensors"), {
    tensors,
    metadata: { format: "llmseg.weights/v1" },
  });
  if (knowledge !== undefined) {
    await writeJson(join(dir, "knowledge.json"), KnowledgeFileSchema.parse(knowledge));
  } else {
    await Deno.remove(join(dir, "knowledge.json")).catch(() => {});
  }
  await writeJson(join(dir, "model.json"), checked);
}

/**
 * Loads a model folder, refusing a missing/invalid file, an architecture other than `expectArch`,
 * a knowledge vector other than the one `model.json` names (set, hash, source or values), or
 * weights that do not fit.
 */
export async function loadModelFolder(
  dir: string,
  options: { expectArch?: "vnet" | "unet3d" } = {},
): Promise<LoadedModel> {
  const manifest = parseJsonFile(
    join(dir, "model.json"),
    await readText(join(dir, "model.json")),
    ModelManifestSchema,
  );
  if (options.expectArch !== undefined && manifest.network.arch !== options.expectArch) {
    throw new UserError(
      "wrong_architecture",
      `${dir}: the model is a ${manifest.network.arch}, not a ${options.expectArch}`,
    );
  }
  let knowledge: KnowledgeFile | undefined;
  if (manifest.knowledge !== null) {
    const path = join(dir, "knowledge.json");
    knowledge = parseJsonFile(path, await readText(path), KnowledgeFileSchema);
    // The weights were trained with one vector: a folder mixing in another is refused.
    const mismatch = knowledgeMismatch(manifest.knowledge, knowledge);
    if (mismatch) {
      throw new UserError(
        "invalid_model",
        `${path} is not the knowledge vector model.json names: ${mismatch}`,
      );
    }
    if (knowledge.vector.length !== manifest.network.knowledgeDim) {
      throw new UserError(
        "invalid_model",
        `${path}: vector has ${knowledge.vector.length} values, the network expects ${manifest.network.knowledgeDim}`,
      );
    }
  }
  const weightsPath = join(dir, "weights.safetensors");
  const weights = await readSafetensors(weightsPath);
  const networks = new Map<Member, SegmentationNetwork>();
  const vector = knowledge === undefined ? undefined : Float32Array.from(knowledge.vector);
  try {
    for (const member of manifest.members) {
      const network = createNetwork(manifest.network, 0, vector);
      networks.set(member, network);
      loadState(
        network.namedState(),
        entriesWithPrefix(weights.tensors, `${member}/`),
        `${weightsPath} (${member})`,
      );
    }
  } catch (error) {
    for (const network of networks.values()) network.dispose();
    throw error;
  }
  return {
    manifest,
    networks,
    knowledge,
    dispose: () => networks.forEach((n) => n.dispose()),
  };
}

async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "missing" : (error as Error).message;
    throw new UserError(
      "invalid_model",
      `${path}: cannot read (${reason}); is this a model folder?`,
    );
  }
}

function parseJsonFile<T>(path: string, text: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError("invalid_model", `${path}: not JSON (${(error as Error).message})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new UserError(
      "invalid_model",
      `${path}: ${z.prettifyError(parsed.error).replaceAll("\n", "; ")}`,
    );
  }
  return parsed.data;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}
