/**
 * Regenerates the committed split files from the shared data (run once; the outputs are
 * committed): `deno run -A gpu-worker/experiments/make_splits.ts ../shared/data`.
 */
import { fileURLToPath } from "node:url";
import { listCases } from "@llmseg/shared";
import { splitFilesFor } from "./splits.ts";

/** Case ids of the two shared datasets, in their list order. */
export async function sharedCaseIds(
  data: string,
): Promise<{ hippocampus: string[]; la: string[] }> {
  const hippocampus = await listCases({ layout: "nnunet", root: `${data}/hippocampus` });
  const la = await listCases({
    layout: "h5-list",
    root: `${data}/la2018`,
    list: "cases.list",
    file: "{id}/mri_norm2.h5",
  });
  return { hippocampus: hippocampus.map((c) => c.id), la: la.map((c) => c.id) };
}

if (import.meta.main) {
  const data = Deno.args[0];
  if (!data) throw new Error("usage: make_splits.ts <shared-data-dir>");
  const ids = await sharedCaseIds(data);
  for (const [name, file] of Object.entries(splitFilesFor(ids.hippocampus, ids.la))) {
    const path = fileURLToPath(new URL(`./splits/${name}.json`, import.meta.url));
    await Deno.writeTextFile(path, JSON.stringify(file, null, 2) + "\n");
    console.log(`${path}: ${file.folds.length} fold(s) (${file.method})`);
  }
}
