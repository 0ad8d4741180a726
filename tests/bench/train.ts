/**
 * `deno task bench train [--reps N] [--threads N] [--only ROW]` (issue #13): the hippocampus
 * preset's iterations against their PyTorch reconstruction (tests/bench/train_torch.py, Debian
 * python3-torch) in the same run:
 *
 * - `cotrain`: one co-training iteration of docs/METHOD.md 5 as `llmseg train --preset hippocampus`
 *   runs it (two V-Nets, width 16, Dropout3d, text branch β 0.1, patch 32×48×32, batch 2 + 2,
 *   CE + Dice, USL both ways with weight 0.1, one SGD step per network);
 * - `supervised`: the supervised-only iteration (one network, the 2 labelled samples);
 * - `sliding`: sliding-window inference of the width-16 V-Net on a 120×120×88 volume (12 windows
 *   of 112×112×80 at stride 18×18×4).
 *
 * Inputs are random (the cost does not depend on the values). Each row runs in its own process,
 * ours and PyTorch's, so each peak RSS is that row's: one warm-up, then the median of --reps runs
 * (default 3; the sliding window once after a warm-up window). Wall and CPU seconds (all threads)
 * are both reported: the machine is shared, and CPU seconds are the steadier figure.
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { Rng } from "@llmseg/shared";
import { initEngine } from "../../gpu-worker/engine/mod.ts";
import { createNetwork, NetworkConfigSchema } from "../../gpu-worker/networks/network.ts";
import { slidingWindow } from "../../gpu-worker/inferers/sliding_window.ts";
import { presets } from "../../gpu-worker/training/presets.ts";
import { cotrainStep, supervisedStep } from "../../gpu-worker/training/step.ts";
import { cotrainBatch, presetMember } from "../../gpu-worker/training/testing/preset_workload.ts";
import { timeRuns, type Timing } from "./lib/timing.ts";

const ROWS = ["supervised", "cotrain", "sliding"] as const;
type RowName = typeof ROWS[number];
const LABELS: Record<RowName, string> = {
  supervised: "supervised-only iteration, hippocampus (1 V-Net, batch 2, 32×48×32)",
  cotrain: "co-training iteration, hippocampus (2 V-Nets, batch 2 + 2, 32×48×32)",
  sliding: "sliding window, V-Net width 16, 120×120×88, 12 windows 112×112×80",
};

const args = Deno.args[0] === "train" ? Deno.args.slice(1) : Deno.args;
const { values: opts } = parseArgs({
  args,
  options: {
    reps: { type: "string", default: "3" },
    threads: { type: "string", default: String(navigator.hardwareConcurrency) },
    only: { type: "string" },
    row: { type: "string" },
  },
});
const reps = Number(opts.reps);
const threads = Number(opts.threads);
const config = presets.hippocampus;

/** Returns the workload to time. */
function setup(row: RowName): { run: () => unknown; warm: boolean; runs: number } {
  const rng = new Rng(1);
  const knowledge = Float32Array.from({ length: 768 }, () => rng.normal() * 0.5);
  const batch = cotrainBatch(config, rng);
  const settings = { config, lr: 0.01, unsupWeight: config.unsupMaxWeight, rng };
  if (row === "supervised") {
    const a = presetMember(config, 1, knowledge);
    const labelled = { inputs: batch.inputs.slice([0], [2]) as tf.Tensor5D, labels: batch.labels };
    return { run: () => supervisedStep(a, labelled, settings), warm: true, runs: reps };
  }
  if (row === "cotrain") {
    const a = presetMember(config, 1, knowledge), b = presetMember(config, 2, knowledge);
    return { run: () => cotrainStep(a, b, batch, settings), warm: true, runs: reps };
  }
  const net = createNetwork(NetworkConfigSchema.parse({ arch: "vnet", dropout: false }), 1);
  const shape: [number, number, number] = [120, 120, 88];
  const image = Float32Array.from({ length: 120 * 120 * 88 }, () => rng.normal());
  const predict = (w: tf.Tensor5D) => [tf.softmax(net.apply(w, { training: false }))];
  // Warm-up: one window through the network (the kernels' first calls allocate their memory).
  tf.tidy(() => predict(tf.zeros([1, 112, 112, 80, 1]))[0].dataSync());
  return {
    run: () =>
      slidingWindow({ shape, channels: 1, image }, predict, [112, 112, 80], [18, 18, 4], 2),
    warm: false,
    runs: 1,
  };
}

/** Child process: times one row and prints it as one JSON line. */
async function runRow(row: RowName): Promise<void> {
  await initEngine({ threads });
  const { run, warm, runs } = setup(row);
  const timing = await timeRuns(run, runs, warm);
  console.log(JSON.stringify({ row, ...timing }));
}

function parseRows(text: string): Map<string, Timing> {
  const out = new Map<string, Timing>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    const r = JSON.parse(line);
    out.set(r.row, { median: r.median, runs: r.runs, cpu: r.cpu, rss: r.rss ?? r.maxrss_mb });
  }
  return out;
}

async function ours(row: RowName): Promise<Timing | undefined> {
  const self = new URL(import.meta.url).pathname;
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", self, "--row", row, "--reps", String(reps), "--threads", String(threads)],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return parseRows(new TextDecoder().decode(result.stdout)).get(row);
}

async function torch(row: RowName): Promise<Timing | undefined> {
  const script = new URL("./train_torch.py", import.meta.url).pathname;
  try {
    const result = await new Deno.Command("/usr/bin/python3", {
      args: [script, String(reps), row],
      env: { THREADS: String(threads) },
      stdout: "piped",
      stderr: "inherit",
    }).output();
    return parseRows(new TextDecoder().decode(result.stdout)).get(row);
  } catch (error) {
    console.log(`PyTorch not run: ${(error as Error).message}`);
    return undefined;
  }
}

const runsText = (t?: Timing) => t ? t.runs.map((r) => r.toFixed(2)).join(", ") : "—";
const ratio = (a?: number, b?: number) =>
  a === undefined || b === undefined ? "—" : `${(a / b).toFixed(2)}×`;
const seconds = (s?: number) => (s === undefined ? "—" : s.toFixed(2));

if (opts.row) {
  await runRow(opts.row as RowName);
  Deno.exit(0);
}
const rows = ROWS.filter((r) => !opts.only || r === opts.only);
const load = () => Deno.loadavg().map((l) => l.toFixed(1)).join(" ");
console.log(`threads ${threads}, reps ${reps}; load average at start ${load()}`);
const table: string[] = [];
for (const row of rows) {
  const o = await ours(row), p = await torch(row);
  console.log(`  ${row}: ours ${runsText(o)} s; PyTorch ${runsText(p)} s; load ${load()}`);
  table.push(
    `| ${LABELS[row]} | ${seconds(o?.median)} / ${seconds(p?.median)} | ${
      ratio(o?.median, p?.median)
    } | ${seconds(o?.cpu)} / ${seconds(p?.cpu)} | ${ratio(o?.cpu, p?.cpu)} | ${
      o?.rss?.toFixed(0) ?? "—"
    } / ${p?.rss?.toFixed(0) ?? "—"} | ${ratio(o?.rss, p?.rss)} |`,
  );
}
console.log(
  "\n| workload | wall s ours / PyTorch | ratio | CPU s ours / PyTorch | ratio | peak RSS MB ours / PyTorch | ratio |",
);
console.log("|---|---|---|---|---|---|---|");
for (const line of table) console.log(line);
