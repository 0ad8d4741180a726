/**
 * `llmseg evaluate`: Dice, Jaccard, 95HD and ASD of predicted masks against reference masks, as
 * the papers report them (METHOD.md sections 6-7), for one pair or a folder of cases.
 */
import {
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
       llmseg evaluate --pred-dir <dir> --label-dir <dir> [--csv <file>] [options]

Compares predicted masks with reference masks: Dice, Jaccard, 95% Hausdorff distance and average
surface distance (pred to label), exactly as medpy computes them. A volume is .nii, .nii.gz or
.h5 with a dataset fragment (case.h5#label). Either mask empty: all four metrics are 0 (the
lineage's convention). Masks with several label values are evaluated per label.

  --pred <volume>        predicted mask
  --label <volume>       reference mask on the same grid
  --pred-dir <dir>       folder of predictions {case}.nii.gz (or .nii)
  --label-dir <dir>      folder of references: {case}.nii.gz, {case}.nii, {case}.h5 or
                         {case}/mri_norm2.h5 (the h5 dataset 'label')
  --spacing voxel|header distances in voxels (default, as the papers' tables) or in mm from the
                         files' headers (an .h5 label, which stores none, takes the prediction's)
  --labels <1,2,...>     evaluate exactly these label values
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
    const options: EvaluateOptions = {
      spacing: values.spacing,
      labels: values.labels === undefined ? undefined : parseLabels(values.labels),
    };
    const unit = DISTANCE_UNITS[values.spacing];
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
      const pred = required(values.pred, "--pred", usage);
      const label = required(values.label, "--label", usage);
      const result = evaluateMasks(await readVolume(pred), await readVolume(label), options);
      console.log(values.json ? JSON.stringify(result) : formatSingle(result, unit));
      return 0;
    }
    const predDir = required(values["pred-dir"], "--pred-dir", usage);
    const labelDir = required(values["label-dir"], "--label-dir", usage);
    const rows = await evaluateFolders(predDir, labelDir, options);
    const summaries = summarizeByLabel(rows);
    if (values.csv !== undefined) await writeCsv(values.csv, rows, summaries);
    console.log(
      values.json
        ? JSON.stringify(folderJson(rows, summaries))
        : formatTable(rows, summaries, unit),
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

/** Pairs every prediction in `predDir` with its reference and evaluates it. */
async function evaluateFolders(
  predDir: string,
  labelDir: string,
  options: EvaluateOptions,
): Promise<Row[]> {
  const predictions = await listPredictions(predDir);
  const rows: Row[] = [];
  const kinds = new Set<string>();
  for (const [id, predPath] of predictions) {
    const labelPath = await findLabel(labelDir, id);
    const result = evaluateMasks(await readVolume(predPath), await readVolume(labelPath), options);
    kinds.add(isPerLabel(result) ? "multi-label" : "binary");
    rows.push(...rowsOf(id, result));
  }
  if (kinds.size > 1) {
    throw new UserError(
      "bad_option",
      `${predDir}: some cases hold one label value and others several; pass --labels 1,2,… ` +
        "to evaluate the same labels in every case",
    );
  }
  return rows;
}

async function listPredictions(dir: string): Promise<[string, string][]> {
  const found: [string, string][] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const match = /^(.+?)(\.nii\.gz|\.nii)$/.exec(entry.name);
      if (entry.isFile && match && !entry.name.startsWith(".")) {
        found.push([match[1], `${dir}/${entry.name}`]);
      }
    }
  } catch (error) {
    throw new UserError("invalid_input", `${dir}: cannot list (${(error as Error).message})`);
  }
  if (found.length === 0) {
    throw new UserError("invalid_input", `${dir}: no predictions ({case}.nii.gz or .nii)`);
  }
  return found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

async function findLabel(dir: string, id: string): Promise<string> {
  const candidates = [
    [`${dir}/${id}.nii.gz`, ""],
    [`${dir}/${id}.nii`, ""],
    [`${dir}/${id}.h5`, "#label"],
    [`${dir}/${id}/mri_norm2.h5`, "#label"],
  ];
  for (const [path, fragment] of candidates) {
    try {
      if ((await Deno.stat(path)).isFile) return path + fragment;
    } catch {
      // not this layout; try the next
    }
  }
  throw new UserError(
    "invalid_input",
    `${dir}: no reference for case ${id} (looked for ${id}.nii.gz, ${id}.nii, ${id}.h5, ` +
      `${id}/mri_norm2.h5)`,
  );
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

function folderJson(rows: Row[], summaries: Map<string, MetricSummary>): unknown {
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
  if (binary) return { cases, mean: binary.mean, std: binary.std };
  const byLabel = (pick: "mean" | "std") => ({
    labels: Object.fromEntries([...summaries].map(([label, s]) => [label, s[pick]])),
  });
  return { cases, mean: byLabel("mean"), std: byLabel("std") };
}

function formatSingle(result: EvaluationResult, unit: string): string {
  const block = (m: MaskMetrics, indent: string) =>
    METRICS.map((key) =>
      `${indent}${key.padEnd(8)}${m[key].toFixed(4)}${
        key === "hd95" || key === "asd" ? ` ${unit}` : ""
      }`
    ).join("\n");
  if (!isPerLabel(result)) return block(result, "");
  return Object.entries(result.labels)
    .map(([label, metrics]) => `label ${label}\n${block(metrics, "  ")}`)
    .join("\n");
}

function formatTable(rows: Row[], summaries: Map<string, MetricSummary>, unit: string): string {
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
  return [render(head), ...body.map(render), `${cases} cases`].join("\n");
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
