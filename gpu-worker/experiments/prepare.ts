/**
 * Puts a task's cases where the trainer reads them: the shared nnU-Net folder as it is, a
 * downsampled nnU-Net copy of the LA h5 files, or a synthetic dataset. Copies go under the run
 * output folder (never into the repository) and are reused when complete.
 */
import { join } from "node:path";
import { pathExists } from "../../shared/path_exists.ts";
import {
  listCases,
  readVolume,
  resampleToSpacing,
  UserError,
  writeSyntheticDataset,
  writeVolume,
} from "@llmseg/shared";
import type { DatasetPlan } from "./definitions.ts";

/** Marker written last, so an interrupted preparation is redone rather than half-used. */
const COMPLETE = ".complete";

/**
 * Returns the root of an nnU-Net folder holding the task's cases.
 * @param data the shared data folder (`--data`); unused for synthetic data.
 * @param scratch folder for prepared copies (under `--out`).
 * @throws UserError when `data` is needed but missing or lacks the task's folder.
 */
export async function prepareDataset(
  plan: DatasetPlan,
  data: string | undefined,
  scratch: string,
): Promise<string> {
  if (plan.kind === "synthetic") {
    const root = join(scratch, `synthetic-${plan.shape.join("x")}-seed${plan.seed}`);
    if (!(await pathExists(join(root, COMPLETE)))) {
      await writeSyntheticDataset(root, plan);
      await Deno.writeTextFile(join(root, COMPLETE), "");
    }
    return root;
  }
  if (data === undefined) {
    throw new UserError("bad_option", "missing --data <shared data folder> for this experiment");
  }
  const source = join(data, plan.folder);
  if (!(await pathExists(source))) {
    throw new UserError("bad_option", `--data ${data}: no '${plan.folder}' folder in it`);
  }
  if (plan.kind === "nnunet") return source;
  const root = join(scratch, `${plan.folder}-down${plan.factor}`);
  if (!(await pathExists(join(root, COMPLETE)))) await downsampleH5List(source, root, plan.spacing);
  return root;
}

/**
 * Writes `imagesTr/{id}_0000.nii.gz` (linear) and `labelsTr/{id}.nii.gz` (nearest) at `spacing`
 * mm for every case of an h5 list folder (LA: `cases.list`, 0.625 mm voxels).
 */
async function downsampleH5List(source: string, root: string, spacing: number): Promise<void> {
  const cases = await listCases({
    layout: "h5-list",
    root: source,
    list: "cases.list",
    file: "{id}/mri_norm2.h5",
  });
  await Deno.mkdir(join(root, "imagesTr"), { recursive: true });
  await Deno.mkdir(join(root, "labelsTr"), { recursive: true });
  const target: [number, number, number] = [spacing, spacing, spacing];
  const read = { hdf5Spacing: [0.625, 0.625, 0.625] as [number, number, number] };
  for (const entry of cases) {
    const image = await readVolume(entry.images[0], read);
    await writeVolume(
      join(root, "imagesTr", `${entry.id}_0000.nii.gz`),
      resampleToSpacing(image, target, "linear"),
    );
    const label = await readVolume(entry.label!, read);
    await writeVolume(
      join(root, "labelsTr", `${entry.id}.nii.gz`),
      resampleToSpacing(label, target, "nearest"),
    );
  }
  await Deno.writeTextFile(join(root, COMPLETE), "");
}
