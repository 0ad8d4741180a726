/**
 * Lists the cases of a dataset without reading any voxels: file paths only, so that a split can
 * be chosen and checked before anything large is loaded.
 */
import { z } from "zod";
import { UserError } from "../errors.ts";
import { readJsonFile } from "../read_json_file.ts";
import type { H5ListLayout, NnUNetLayout } from "./description.ts";

/** One case: where its image channels and its label are. */
export interface CaseEntry {
  id: string;
  /** One path per channel, channel order; an HDF5 dataset is named by a fragment (`case.h5#image`). */
  images: string[];
  /** Path of the label volume, when the case has one. */
  label?: string;
  /** Listed as held out by the dataset itself (`imagesTs/`, the h5 `testList`). */
  heldOut: boolean;
}

/**
 * Lists every case of a dataset: training cases first, then held-out ones; nnU-Net cases sorted by
 * id, h5 list cases in the order of their list (the lineage takes "the first N" of it).
 */
export async function listCases(source: NnUNetLayout | H5ListLayout): Promise<CaseEntry[]> {
  return source.layout === "nnunet" ? await listNnUNet(source) : await listH5(source);
}

/**
 * The part of nnU-Net's `dataset.json` this project reads; other fields are allowed. `labels`
 * maps a name to its integer value (`{"background": 0, "tumour": 1}`); nnU-Net's region lists
 * (`[1, 2, 3]`) are read so that they can be refused by name. The Decathlon's older `modality`
 * (`{"0": "FLAIR"}`) stands for `channel_names` when that is absent.
 */
const NnUNetDatasetJson = z.looseObject({
  channel_names: z.record(z.string(), z.string()).optional(),
  modality: z.record(z.string(), z.string()).optional(),
  labels: z.record(
    z.string(),
    z.union([z.int().min(0), z.array(z.int().min(0)), z.string()]),
  ).optional(),
  file_ending: z.enum([".nii.gz", ".nii"]).optional(),
});

/** What an nnU-Net `dataset.json` says about the channels and classes. */
export interface DatasetMetadata {
  /** Channel names in channel order (`_0000` first). */
  channelNames?: string[];
  /** Class name → label value, background (0) included, in value order. */
  labels?: Record<string, number>;
}

/**
 * Reads `{root}/dataset.json` (nnU-Net v2, or the Decathlon's `modality`/`labels` with string
 * values) when there is one.
 * @throws UserError for a file that is not such JSON, region-based labels (nnU-Net's lists),
 *   label values that are not 0..N−1 with 0 present, or channel keys that are not 0..C−1.
 */
export async function readDatasetMetadata(root: string): Promise<DatasetMetadata | undefined> {
  const path = `${root.replace(/\/$/, "")}/dataset.json`;
  const meta = await readJsonFile(
    path,
    NnUNetDatasetJson,
    "invalid_dataset",
    "an nnU-Net dataset.json",
  );
  if (meta === undefined) return undefined;
  const channels = meta.channel_names ?? meta.modality;
  let channelNames: string[] | undefined;
  if (channels !== undefined) {
    const keys = Object.keys(channels).map(Number).sort((a, b) => a - b);
    if (keys.some((key, i) => key !== i)) {
      throw new UserError(
        "invalid_dataset",
        `${path}: channel_names keys must be 0..${keys.length - 1}, not ${
          Object.keys(channels).join(", ")
        }`,
      );
    }
    channelNames = keys.map((key) => channels[String(key)]);
  }
  let labels: Record<string, number> | undefined;
  if (meta.labels !== undefined) {
    // The Decathlon writes {"0": "background", "1": "anterior"}: value → name, as strings.
    const entries = Object.entries(meta.labels).map(([key, value]) =>
      typeof value === "string" && /^\d+$/.test(key) ? [value, Number(key)] as const : [key, value]
    );
    const text = entries.find(([, value]) => typeof value === "string");
    if (text) {
      throw new UserError(
        "invalid_dataset",
        `${path}: label '${text[0]}' has no integer value ('${text[1]}')`,
      );
    }
    const region = entries.find(([, value]) => Array.isArray(value));
    if (region) {
      throw new UserError(
        "invalid_dataset",
        `${path}: label '${region[0]}' is a region (${JSON.stringify(region[1])}); ` +
          "region-based training is not supported, give each class one integer value",
      );
    }
    const sorted = entries.map(([name, value]) => [name, value as number] as const)
      .sort((a, b) => a[1] - b[1]);
    labels = Object.fromEntries(sorted);
    const values = sorted.map(([, value]) => value);
    if (values.some((value, i) => value !== i)) {
      throw new UserError(
        "invalid_dataset",
        `${path}: label values must be 0..${values.length - 1} (0 the background), not ${
          values.join(", ")
        }`,
      );
    }
  }
  return { channelNames, labels };
}

const CHANNEL_FILE = /^(.+)_(\d{4})(\.nii\.gz|\.nii)$/;
const NIFTI_FILE = /^(.+?)(?:\.nii\.gz|\.nii)$/;

async function listNnUNet(source: NnUNetLayout): Promise<CaseEntry[]> {
  const root = source.root.replace(/\/$/, "");
  const meta = await readDatasetMetadata(root);
  const channels = meta?.channelNames?.length;
  const training = await listNnUNetFolder(root, "imagesTr", "labelsTr", channels, false);
  if (training.length === 0) {
    throw new UserError("invalid_dataset", `${root}/imagesTr: no images ({case}_0000.nii.gz)`);
  }
  const heldOut = await listNnUNetFolder(root, "imagesTs", "labelsTs", channels, true);
  return [...training, ...heldOut];
}

/**
 * The cases of a folder of scans named as nnU-Net names them (`{case}_0000.nii.gz`, `_0001`, …,
 * or one `{case}.nii.gz` per case), for whole-folder inference; sorted by id, no labels.
 * @param channels channels per case (the model's); default: those of the first case.
 */
export async function listImageFolder(dir: string, channels?: number): Promise<CaseEntry[]> {
  const path = dir.replace(/\/+$/, "");
  const slash = path.lastIndexOf("/");
  const root = slash < 0 ? "." : path.slice(0, slash) || "/";
  const cases = await listNnUNetFolder(
    root,
    path.slice(slash + 1),
    `${path.slice(slash + 1)}/.no-labels`,
    channels,
    false,
  );
  if (cases.length === 0) {
    throw new UserError("invalid_input", `${dir}: no scans ({case}_0000.nii.gz or {case}.nii.gz)`);
  }
  return cases;
}

/** Names in a folder, or undefined when it does not exist. */
async function folderNames(path: string): Promise<string[] | undefined> {
  try {
    const names: string[] = [];
    for await (const entry of Deno.readDir(path)) {
      if ((entry.isFile || entry.isSymlink) && !entry.name.startsWith(".")) names.push(entry.name);
    }
    return names;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new UserError("invalid_dataset", `${path}: cannot list (${(error as Error).message})`);
  }
}

async function listNnUNetFolder(
  root: string,
  imagesDir: string,
  labelsDir: string,
  expectedChannels: number | undefined,
  heldOut: boolean,
): Promise<CaseEntry[]> {
  const imageNames = await folderNames(`${root}/${imagesDir}`);
  if (imageNames === undefined) {
    if (heldOut) return [];
    throw new UserError("invalid_dataset", `${root}: no ${imagesDir}/ folder (nnU-Net layout)`);
  }
  const labelNames = new Set(await folderNames(`${root}/${labelsDir}`) ?? []);
  const channelsOf = new Map<string, Map<number, string>>();
  const stray = imageNames.find((name) => !NIFTI_FILE.test(name));
  if (stray !== undefined) {
    throw new UserError(
      "invalid_dataset",
      `${root}/${imagesDir}/${stray}: not a NIfTI file (.nii.gz or .nii)`,
    );
  }
  // nnU-Net names every channel file {case}_{XXXX}; the Decathlon (MSD) layout it comes from has
  // one file per case, channels inside it. A folder is read one way or the other, never mixed.
  const perChannel = imageNames.every((name) => CHANNEL_FILE.test(name));
  for (const name of imageNames) {
    const [, id, channel] = (perChannel ? CHANNEL_FILE : NIFTI_FILE).exec(name)!;
    const files = channelsOf.get(id) ?? new Map<number, string>();
    files.set(perChannel ? Number(channel) : 0, `${root}/${imagesDir}/${name}`);
    channelsOf.set(id, files);
  }
  const ids = [...channelsOf.keys()].sort();
  // A Decathlon file holds all its channels, whatever dataset.json counts.
  const channels = perChannel ? expectedChannels ?? channelsOf.get(ids[0])?.size ?? 0 : 1;
  return ids.map((id) => {
    const files = channelsOf.get(id)!;
    const images = Array.from({ length: channels }, (_, c) => files.get(c));
    if (files.size !== channels || images.includes(undefined)) {
      throw new UserError(
        "invalid_dataset",
        `${root}/${imagesDir}: case ${id} has channels ${[...files.keys()].sort().join(", ")}; ` +
          `expected 0..${channels - 1}`,
      );
    }
    const label = [".nii.gz", ".nii"].map((e) => `${id}${e}`).find((n) => labelNames.has(n));
    return {
      id,
      images: images as string[],
      label: label ? `${root}/${labelsDir}/${label}` : undefined,
      heldOut,
    };
  });
}

async function listH5(source: H5ListLayout): Promise<CaseEntry[]> {
  const root = source.root.replace(/\/$/, "");
  const training = await readIdList(`${root}/${source.list}`);
  const heldOut = source.testList ? await readIdList(`${root}/${source.testList}`) : [];
  const both = training.filter((id) => heldOut.includes(id));
  if (both.length > 0) {
    throw new UserError(
      "invalid_dataset",
      `${root}: ${both.join(", ")} listed in both ${source.list} and ${source.testList}`,
    );
  }
  const entries = [
    ...training.map((id) => [id, false] as const),
    ...heldOut.map((id) => [id, true] as const),
  ]
    .map(([id, isHeldOut]): CaseEntry => {
      const path = `${root}/${source.file.replaceAll("{id}", id)}`;
      return { id, images: [`${path}#image`], label: `${path}#label`, heldOut: isHeldOut };
    });
  const missing: string[] = [];
  for (const entry of entries) {
    const path = entry.images[0].replace(/#image$/, "");
    try {
      if (!(await Deno.stat(path)).isFile) missing.push(path);
    } catch {
      missing.push(path);
    }
  }
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(", ") + (missing.length > 5 ? ", …" : "");
    throw new UserError(
      "invalid_dataset",
      `${root}: ${missing.length} listed case file(s) missing: ${shown}`,
    );
  }
  return entries;
}

/** Case ids of a lineage list file (one per line; blank lines ignored; in file order). */
async function readIdList(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UserError(
      "invalid_dataset",
      `${path}: cannot read the case list (${(error as Error).message})`,
    );
  }
  const ids = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0);
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw new UserError("invalid_dataset", `${path}: case ${id} is listed twice`);
    if (id.includes("/") || id === "." || id === "..") {
      throw new UserError("invalid_dataset", `${path}: '${id}' is not a case id`);
    }
    seen.add(id);
  }
  if (ids.length === 0) throw new UserError("invalid_dataset", `${path}: the case list is empty`);
  return ids;
}
