/**
 * `llmseg evaluate`: Dice, Jaccard, 95HD and ASD of predicted masks against reference masks, as
 * the papers report them (docs/METHOD.md sections 6-7), for one pair or a folder of cases, with
 * nnU-Net's checks: every reference needs a prediction, each volume must be a mask on the
 * reference's grid, empty masks never score as perfect, and a per-case, per-class summary.json.
 */
import {
  emptyMaskNote,
  type EvaluationSummary,
  scoreCase,
  summarizeEvaluation,
} from "../../../shared/metrics/evaluate_summary.ts";
import {
  type EmptyMaskConvention,
  evaluateMasks,
  type EvaluateOptions,
  type EvaluationResult,
  isPerLabel,
  type MaskMetrics,
  type MetricSummary,
  readVolume,
  summarizeMetrics,
  UserError,
} from "@llmseg/shared";
import { writeFileAtomic } from "../../../shared/write_atomic.ts";
import { type Command, parseOptions, rejectPositionals, required } from "../command.ts";

const usage = `usage: llmseg evaluate --pred <volume> --label <volume> [options]
       llmseg evaluate --pred-dir <dir> --label-dir <dir> [--summary <file>] [--csv <file>]
                       [--allow-missing] [options]

Compares predicted masks with reference masks: Dice, Jaccard, 95% Hausdorff distance and average
surface distance (pred to label), computed as medpy does (docs/METHOD.md section 7). A volume is
.nii, .nii.gz or .h5 with a dataset fragment (case.h5#label). Masks with several label values are
evaluated per label. Refused: a volume that is no mask (a non-integer value, or more than 32 label
values: an image), a prediction on another grid (shape, or the header's placement in the world).

Empty masks (--empty-masks nnunet, the default): both empty: every metric NaN, left out of the
mean (nnU-Net); one empty: Dice 0 and 95HD = ASD = the grid's diagonal, a stated penalty (BraTS's
373 mm rule). --empty-masks lineage scores either case as all zeros (UA-MT, SSL4MIS).

  --pred <volume>        predicted mask
  --label <volume>       reference mask on the same grid
  --pred-dir <dir>       folder of predictions {case}.nii.gz (or .nii)
  --label-dir <dir>      folder of references: {case}.nii.gz, {case}.nii, {case}.h5 or
                         {case}/mri_norm2.h5 (the h5 dataset 'label'); every reference needs a
                         prediction
  --allow-missing        score the predicted cases only; references without a prediction are
                         listed, not an error (nnU-Net's --chill)
  --summary <file>       with --pred-dir: per-case, per-class JSON (default
                         <pred-dir>/summary.json); with --pred: write one too
  --spacing voxel|header distances in voxels (default, as the papers' tables) or in mm from the
                         files' headers (an .h5 label, which stores none, takes the prediction's)
  --labels <1,2,...>     evaluate exactly these label values
  --empty-masks nnunet|lineage   scoring of empty masks (above)
  --json                 print one JSON object
  --csv <file>           with --pred-dir: write the per-case table, mean and std as CSV`;

const DISTANCE_UNITS = { voxel: "voxels", header: "mm" } as const;
const METRICS = ["dice", "jaccard", "hd95", "asd"] as const;

/** One evaluated case (or one label of it). */
interface Row {
  case: string;
  /** Label value for a multi-label evaluation. */
  label?: string;
  metrics: MaskMetrics;
}

export const evaluateCommand: Command = {
  name: "evaluate",
  summary: "Dice, Jaccard, 95HD and ASD of predictions against labels (one pair or folders)",
  usage,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parseOptions(args, {
      pred: { type: "string" },
      label: { type: "string" },
      "pred-dir": { type: "string" },
      "label-dir": { type: "string" },
      spacing: { type: "string", default: "voxel" },
      labels: { type: "string" },
      "empty-masks": { type: "string", default: "nnunet" },
      "allow-missing": { type: "boolean", default: false },
      summary: { type: "string" },
      json: { type: "boolean", default: false },
      csv: { type: "string" },
    }, usage);
    rejectPositionals(positionals, usage);
    if (values.spacing !== "voxel" && values.spacing !== "header") {
      throw new UserError(
        "bad_option",
        `--spacing must be voxel or header, not '${values.spacing}'`,
      );
    }
    const emptyMasks = values["empty-masks"] as EmptyMaskConvention;
    if (emptyMasks !== "nnunet" && emptyMasks !== "lineage") {
      throw new UserError(
        "bad_option",
        `--empty-masks must be nnunet or lineage, not '${emptyMasks}'`,
      );
    }
    const options: EvaluateOptions = {
      spacing: values.spacing,
      labels: values.labels === undefined ? undefined : parseLabels(values.labels),
      emptyMasks,
    };
    const unit = DISTANCE_UNITS[values.spacing];
    const conventions = { emptyMasks, distanceUnit: unit, note: emptyMaskNote(emptyMasks) };
    const single = values.pred !== undefined || values.label !== undefined;
    const folders = values["pred-dir"] !== undefined || values["label-dir"] !== undefined;
    if (single === folders) {
      throw new UserError(
        "bad_option",
        `give either --pred and --label, or --pred-dir and --label-dir\n\n${usage}`,
      );
    }
    if (single) {
      if (values.csv !== undefined) throw new UserError("bad_option", "--csv needs --pred-dir");
      if (values["allow-missing"]) {
        throw new UserError("bad_option", "--allow-missing needs --pred-dir");
      }
      const predPath = required(values.pred, "--pred", usage);
      const labelPath = required(values.label, "--label", usage);
      const [pred, label] = [await readVolume(predPath), await readVolume(labelPath)];
      const result = evaluateMasks(pred, label, options);
      if (values.summary !== undefined) {
        const scored = scoreCase(
          "case",
          { prediction: predPath, reference: labelPath },
          pred,
          label,
          result,
        );
        await writeSummary(values.summary, summarizeEvaluation([scored], conventions));
      }
      console.log(values.json ? JSON.stringify(result) : formatSingle(result, unit, emptyMasks));
      return 0;
    }
    const predDir = required(values["pred-dir"], "--pred-dir", usage);
    const labelDir = required(values["label-dir"], "--label-dir", usage);
    const { rows, summary } = await evaluateFolders(
      predDir,
      labelDir,
      options,
      conventions,
      values["allow-missing"],
    );
    const summaryPath = values.summary ?? `${predDir.replace(/\/$/, "")}/summary.json`;
    await writeSummary(summaryPath, summary);
    const summaries = summarizeByLabel(rows);
    if (values.csv !== undefined) await writeCsv(values.csv, rows, summaries);
    if (summary.missingPredictions.length > 0) {
      console.error(
        `llmseg evaluate: ${summary.missingPredictions.length} reference case(s) have no ` +
          `prediction and were not scored (--allow-missing): ${
            shortList(summary.missingPredictions)
          }`,
      );
    }
    console.error(`llmseg evaluate: per-case, per-class summary written to ${summaryPath}`);
    console.log(
      values.json
        ? JSON.stringify(folderJson(rows, summaries, summary.missingPredictions))
        : formatTable(rows, summaries, unit, emptyMasks),
    );
    return 0;
  },
};

function parseLabels(text: string): number[] {
  const labels = text.split(",").map((part) => Number(part.trim()));
  if (labels.length === 0 || labels.some((l) => !Number.isInteger(l) || l <= 0)) {
    throw new UserError("bad_option", `--labels must be positive integers like 1,2, not '${text}'`);
  }
  return labels;
}

/**
 * Pairs every reference in `labelDir` with its prediction in `predDir` and evaluates them. A
 * prediction without a reference is an error; so is a reference without a prediction, unless
 * `allowMissing` (then it is listed in the summary).
 */
async function evaluateFolders(
  predDir: string,
  labelDir: string,
  options: EvaluateOptions,
  conventions: EvaluationSummary["conventions"],
  allowMissing: boolean,
): Promise<{ rows: Row[]; summary: EvaluationSummary }> {
  const predictions = await listPredictions(predDir);
  const references = await listReferences(labelDir);
  const orphans = [...predictions.keys()].filter((id) => !references.has(id));
  if (orphans.length > 0) {
    throw new UserError(
      "invalid_input",
      `${labelDir}: no reference for case ${shortList(orphans)} (looked for {case}.nii.gz, ` +
        "{case}.nii, {case}.h5, {case}/mri_norm2.h5)",
    );
  }
  const missing = [...references.keys()].filter((id) => !predictions.has(id)).sort();
  if (missing.length > 0 && !allowMissing) {
    throw new UserError(
      "missing_predictions",
      `${predDir}: ${missing.length} of ${references.size} reference case(s) in ${labelDir} have ` +
        `no prediction: ${shortList(missing)} (a missing case would silently raise the mean; ` +
        "pass --allow-missing to score the predicted cases only)",
    );
  }
  const rows: Row[] = [];
  const scored = [];
  const kinds = new Set<string>();
  for (const [id, predPath] of predictions) {
    const labelPath = references.get(id)!;
    const [pred, label] = [await readVolume(predPath), await readVolume(labelPath)];
    const result = evaluateMasks(pred, label, options);
    kinds.add(isPerLabel(result) ? "multi-label" : "binary");
    rows.push(...rowsOf(id, result));
    scored.push(
      scoreCase(id, { prediction: predPath, reference: labelPath }, pred, label, result),
    );
  }
  if (kinds.size > 1) {
    throw new UserError(
      "bad_option",
      `${predDir}: some cases hold one label value and others several; pass --labels 1,2,… ` +
        "to evaluate the same labels in every case",
    );
  }
  return { rows, summary: summarizeEvaluation(scored, conventions, missing) };
}

/** The first few of `ids`, then how many more. */
function shortList(ids: string[]): string {
  return ids.slice(0, 5).join(", ") + (ids.length > 5 ? ` and ${ids.length - 5} more` : "");
}

/** Predictions by case id, in id order. */
async function listPredictions(dir: string): Promise<Map<string, string>> {
  const found: [string, string][] = [];
  for (const entry of await readFolder(dir)) {
    const match = /^(.+?)(\.nii\.gz|\.nii)$/.exec(entry.name);
    if ((entry.isFile || entry.isSymlink) && match) found.push([match[1], `${dir}/${entry.name}`]);
  }
  if (found.length === 0) {
    throw new UserError("invalid_input", `${dir}: no predictions ({case}.nii.gz or .nii)`);
  }
  return new Map(found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * References by case id: `{case}.nii.gz`, `{case}.nii`, `{case}.h5` (dataset `label`) or the
 * lineage's `{case}/mri_norm2.h5`.
 */
async function listReferences(dir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const entry of await readFolder(dir)) {
    const nifti = /^(.+?)(\.nii\.gz|\.nii)$/.exec(entry.name);
    const h5 = /^(.+)\.h5$/.exec(entry.name);
    if ((entry.isFile || entry.isSymlink) && nifti) found.set(nifti[1], `${dir}/${entry.name}`);
    else if ((entry.isFile || entry.isSymlink) && h5) {
      found.set(h5[1], `${dir}/${entry.name}#label`);
    } else if (entry.isDirectory && await isFile(`${dir}/${entry.name}/mri_norm2.h5`)) {
      found.set(entry.name, `${dir}/${entry.name}/mri_norm2.h5#label`);
    }
  }
  if (found.size === 0) {
    throw new UserError(
      "invalid_input",
      `${dir}: no references ({case}.nii.gz, {case}.nii, {case}.h5 or {case}/mri_norm2.h5)`,
    );
  }
  return found;
}

async function readFolder(dir: string): Promise<Deno.DirEntry[]> {
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.name.startsWith(".")) entries.push(entry);
    }
  } catch (error) {
    throw new UserError("invalid_input", `${dir}: cannot list (${(error as Error).message})`);
  }
  return entries;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function writeSummary(path: string, summary: EvaluationSummary): Promise<void> {
  try {
    await writeFileAtomic(path, JSON.stringify(summary, null, 1) + "\n");
  } catch (error) {
    throw new UserError(
      "invalid_input",
      `${path}: cannot write the summary (${(error as Error).message})`,
    );
  }
}

function rowsOf(id: string, result: EvaluationResult): Row[] {
  if (!isPerLabel(result)) return [{ case: id, metrics: result }];
  return Object.entries(result.labels).map(([label, metrics]) => ({ case: id, label, metrics }));
}

/** Mean and std over cases, per label value ("" for a binary evaluation). */
function summarizeByLabel(rows: Row[]): Map<string, MetricSummary> {
  const groups = new Map<string, MaskMetrics[]>();
  for (const row of rows) {
    const key = row.label ?? "";
    groups.set(key, [...(groups.get(key) ?? []), row.metrics]);
  }
  return new Map([...groups].map(([key, metrics]) => [key, summarizeMetrics(metrics)]));
}

function folderJson(
  rows: Row[],
  summaries: Map<string, MetricSummary>,
  missingPredictions: string[],
): unknown {
  const cases: Record<string, unknown> = {};
  for (const row of rows) {
    if (row.label === undefined) {
      cases[row.case] = row.metrics;
    } else {
      const entry = (cases[row.case] ??= { labels: {} }) as { labels: Record<string, unknown> };
      entry.labels[row.label] = row.metrics;
    }
  }
  const binary = summaries.get("");
  if (binary) return { cases, mean: binary.mean, std: binary.std, missingPredictions };
  const byLabel = (pick: "mean" | "std") => ({
    labels: Object.fromEntries([...summaries].map(([label, s]) => [label, s[pick]])),
  });
  return { cases, mean: byLabel("mean"), std: byLabel("std"), missingPredictions };
}

/**
 * A line saying how empty masks were scored, when some metric shows one (Dice 0 or NaN), so that
 * a penalty or a NaN is never read as a measured value.
 */
function emptyNote(metrics: MaskMetrics[], convention: EmptyMaskConvention): string[] {
  const empty = metrics.some((m) => m.dice === 0 || Number.isNaN(m.dice));
  return empty ? [`empty masks: ${emptyMaskNote(convention)}`] : [];
}

function formatSingle(
  result: EvaluationResult,
  unit: string,
  convention: EmptyMaskConvention,
): string {
  const block = (m: MaskMetrics, indent: string) =>
    METRICS.map((key) =>
      `${indent}${key.padEnd(8)}${m[key].toFixed(4)}${
        key === "hd95" || key === "asd" ? ` ${unit}` : ""
      }`
    ).join("\n");
  const all = isPerLabel(result) ? Object.values(result.labels) : [result];
  const body = isPerLabel(result)
    ? Object.entries(result.labels).map(([label, metrics]) =>
      `label ${label}\n${block(metrics, "  ")}`
    )
    : [block(result, "")];
  return [...body, ...emptyNote(all, convention)].join("\n");
}

function formatTable(
  rows: Row[],
  summaries: Map<string, MetricSummary>,
  unit: string,
  convention: EmptyMaskConvention,
): string {
  const multi = rows.some((row) => row.label !== undefined);
  const head = [
    "case",
    ...(multi ? ["label"] : []),
    "dice",
    "jaccard",
    `hd95 (${unit})`,
    `asd (${unit})`,
  ];
  const body: string[][] = rows.map((row) => [
    row.case,
    ...(multi ? [row.label!] : []),
    ...METRICS.map((key) => row.metrics[key].toFixed(4)),
  ]);
  for (const pick of ["mean", "std"] as const) {
    for (const [label, summary] of summaries) {
      body.push([
        pick,
        ...(multi ? [label] : []),
        ...METRICS.map((key) => summary[pick][key].toFixed(4)),
      ]);
    }
  }
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((line) => line[c].length)));
  const render = (line: string[]) =>
    line.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  const cases = new Set(rows.map((row) => row.case)).size;
  const undefinedCases = [...summaries.values()].reduce((n, s) => n + s.undefinedCases, 0);
  const left = undefinedCases > 0 ? ` (${undefinedCases} undefined, left out of mean and std)` : "";
  return [
    render(head),
    ...body.map(render),
    `${cases} cases${left}`,
    ...emptyNote(rows.map((row) => row.metrics), convention),
  ].join("\n");
}

/** Writes the per-case rows, then mean and std rows, as CSV (whole file or none). */
async function writeCsv(path: string, rows: Row[], summaries: Map<string, MetricSummary>) {
  const multi = rows.some((row) => row.label !== undefined);
  const lines = [["case", ...(multi ? ["label"] : []), ...METRICS].join(",")];
  const quote = (cell: string) => (/[",\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);
  for (const row of rows) {
    lines.push(
      [quote(row.case), ...(multi ? [row.label!] : []), ...METRICS.map((k) => row.metrics[k])].join(
        ",",
      ),
    );
  }
  for (const pick of ["mean", "std"] as const) {
    for (const [label, summary] of summaries) {
      lines.push(
        [pick, ...(multi ? [label] : []), ...METRICS.map((k) => summary[pick][k])].join(","),
      );
    }
  }
  try {
    await writeFileAtomic(path, lines.join("\n") + "\n");
  } catch (error) {
    throw new UserError(
      "invalid_input",
      `${path}: cannot write the CSV (${(error as Error).message})`,
    );
  }
}
