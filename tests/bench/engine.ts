/**
 * `deno task bench engine [--reps N] [--stock none|conv|all] [--threads N] [--big-batch] [--only ID]`:
 * the CPU engine (issue #4) against tfjs's stock cpu backend and PyTorch (Debian python3-torch,
 * the reference V-Net of ../shared/reference/torch_bench.py via tests/bench/engine_torch.py):
 * time, GFLOP/s, ratios and peak RSS for conv3d 16→16 (fwd, fwd+bwd) at 64×64×48, the V-Net
 * forward and training step (batch 4 at the hippocampus patch 32×48×32, batch 1 and 4 at 64×64×48,
 * batch 1 at 112×112×80), and sliding-window
 * inference of a full LA case (patch 112×112×80, stride 18×18×4).
 *
 * Each row: one warm-up, then the median of --reps runs (default 3; 1 for the 112×112×80 rows;
 * the sliding window runs once, after the 112×112×80 rows have warmed the same kernels). Peak RSS is the process's high-water mark after the row (rows run smallest
 * first), as is PyTorch's. Stock tfjs rows are slow (COMPUTE.md: a 112×112×80 step ≈ 10 min), so
 * by default only the conv rows are run on it (--stock all runs every row, once, no warm-up).
 * `LLMSEG_ENGINE=wasm` (or `onednn`) picks who runs our convolutions (issue #13: oneDNN by
 * default where its shim is built). The machine's cores are shared: figures are noisy. Batch 4 at 112×112×80 needs --big-batch (it
 * needs more memory than a shared 24 GiB machine should give one process).
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { initEngine, shutdownEngine } from "../../gpu-worker/engine/mod.ts";
import { createNetwork, NetworkConfigSchema } from "../../gpu-worker/networks/network.ts";
import { Sgd } from "../../gpu-worker/training/sgd.ts";
import { slidingWindow } from "../../gpu-worker/inferers/sliding_window.ts";
import { readVolume } from "../../shared/volume/read.ts";
import { sharedData } from "../../shared/testing/data.ts";
import { timeRuns, type Timing } from "./lib/timing.ts";

const { values: opts } = parseArgs({
  args: Deno.args.slice(1),
  options: {
    reps: { type: "string", default: "3" },
    stock: { type: "string", default: "conv" },
    threads: { type: "string" },
    "big-batch": { type: "boolean", default: false },
    only: { type: "string" },
  },
});
const reps = Number(opts.reps);
const threads = opts.threads ? Number(opts.threads) : undefined;

type Dims = [number, number, number];
interface Row {
  id: string;
  label: string;
  gflop: number;
  reps: number;
  /** Whether to run once untimed first (off for the sliding window: its V-Net is already warm). */
  warm: boolean;
  /** Builds the workload; returns the function to time and a disposer. */
  setup(): { run: () => unknown; dispose: () => void };
  stock: boolean;
}

/** Conv GFLOP of the V-Net forward, as torch_bench.py's vnet_gflop (nf 16). */
function vnetGflop([d, h, w]: Dims, nf = 16): number {
  const v = d * h * w;
  let m = v * 27 * nf + v * 27 * nf * nf + v * nf * 2 + 2 * v * nf * 2 * nf;
  let lv = v / 8;
  m += lv * 27 * (2 * nf) ** 2 * 4 + 2 * lv * 2 * nf * 4 * nf;
  lv /= 8;
  m += lv * 27 * (4 * nf) ** 2 * 6 + lv * 4 * nf * 8 * nf * 2;
  lv /= 8;
  m += lv * 27 * (8 * nf) ** 2 * 6 + lv * 8 * nf * 16 * nf * 2;
  lv /= 8;
  m += lv * 27 * (16 * nf) ** 2 * 3;
  return (2 * m) / 1e9;
}

function convRows(dims: Dims): Row[] {
  const gflop = (2 * dims[0] * dims[1] * dims[2] * 16 * 16 * 27) / 1e9;
  const tensors = () => ({
    x: tf.randomNormal([1, ...dims, 16], 0, 1, "float32", 1) as tf.Tensor5D,
    w: tf.randomNormal([3, 3, 3, 16, 16], 0, 0.1, "float32", 2) as tf.Tensor5D,
  });
  return [
    {
      id: `conv-fwd:${dims}`,
      label: `conv3d 3³ 16→16 fwd ${dims.join("×")}`,
      gflop,
      reps,
      warm: true,
      stock: true,
      setup() {
        const { x, w } = tensors();
        return {
          run: () => tf.tidy(() => void tf.conv3d(x, w, 1, "same").dataSync()),
          dispose: () => tf.dispose([x, w]),
        };
      },
    },
    {
      id: `conv-fwdbwd:${dims}`,
      label: `conv3d 3³ 16→16 fwd+bwd ${dims.join("×")}`,
      gflop: 3 * gflop,
      reps,
      warm: true,
      stock: true,
      setup() {
        const { x, w } = tensors();
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 1, "same").sum()
        );
        return {
          run: () => tf.tidy(() => grads([x, w]).forEach((g) => g.dataSync())),
          dispose: () => tf.dispose([x, w]),
        };
      },
    },
  ];
}

function vnetRows(dims: Dims, batch: number, rowReps: number): Row[] {
  const gflop = vnetGflop(dims) * batch;
  const build = () => {
    const net = createNetwork(NetworkConfigSchema.parse({ arch: "vnet", dropout: false }), 1);
    const x = tf.randomNormal([batch, ...dims, 1], 0, 1, "float32", 3) as tf.Tensor5D;
    return { net, x };
  };
  const tag = `${batch}×${dims.join("×")}`;
  return [
    {
      id: `vnet-fwd:${dims},${batch}`,
      label: `V-Net fwd (train-mode BN) ${tag}`,
      gflop,
      reps: rowReps,
      warm: true,
      stock: false,
      setup() {
        const { net, x } = build();
        return {
          run: () => tf.tidy(() => void net.apply(x, { training: true }).dataSync()),
          dispose: () => (net.dispose(), x.dispose()),
        };
      },
    },
    {
      id: `vnet-step:${dims},${batch}`,
      label: `V-Net train step (SGD momentum) ${tag}`,
      gflop: 3 * gflop,
      reps: rowReps,
      warm: true,
      stock: false,
      setup() {
        const { net, x } = build();
        const trainable = new Map([...net.namedState()].filter(([, v]) => v.trainable));
        const sgd = new Sgd(trainable, { momentum: 0.9, weightDecay: 1e-4 });
        const variables = [...trainable.values()];
        return {
          run: () =>
            tf.tidy(() => {
              const { value, grads } = tf.variableGrads(
                () => tf.mean(tf.square(net.apply(x, { training: true }))) as tf.Scalar,
                variables,
              );
              sgd.step(grads, 0.01);
              value.dataSync();
            }),
          dispose: () => (net.dispose(), x.dispose()),
        };
      },
    },
  ];
}

async function slidingRow(path: string, id: string): Promise<Row> {
  const volume = await readVolume(path);
  const [X, Y, Z] = volume.shape;
  // Volume data is i-fastest; the sliding window wants [X, Y, Z, C] row-major.
  const image = new Float32Array(X * Y * Z);
  for (let x = 0; x < X; x++) {
    for (let y = 0; y < Y; y++) {
      for (let z = 0; z < Z; z++) {
        image[(x * Y + y) * Z + z] = Number(volume.data[x + X * (y + Y * z)]);
      }
    }
  }
  const patch: Dims = [112, 112, 80], stride: Dims = [18, 18, 4];
  const windows = [X, Y, Z].map((d, a) =>
    Math.ceil((Math.max(d, patch[a]) - patch[a]) / stride[a]) + 1
  )
    .reduce((p, q) => p * q, 1);
  return {
    id: `sliding:${id}`,
    label: `sliding window LA ${id} ${X}×${Y}×${Z}, ${windows} windows`,
    gflop: vnetGflop(patch) * windows,
    reps: 1,
    warm: false,
    stock: false,
    setup() {
      const net = createNetwork(NetworkConfigSchema.parse({ arch: "vnet", dropout: false }), 1);
      return {
        run: () =>
          slidingWindow(
            { shape: [X, Y, Z], channels: 1, image },
            (w) => [tf.softmax(net.apply(w, { training: false }))],
            patch,
            stride,
            2,
          ),
        dispose: () => net.dispose(),
      };
    },
  };
}

async function measure(row: Row, runs: number, warm: boolean): Promise<Timing> {
  const { run, dispose } = row.setup();
  try {
    return await timeRuns(run, runs, warm);
  } finally {
    dispose();
  }
}

function torchTimings(rows: string[]): Map<string, Timing & { rss: number }> {
  const out = new Map<string, Timing & { rss: number }>();
  const script = new URL("./engine_torch.py", import.meta.url).pathname;
  let result;
  try {
    result = new Deno.Command("/usr/bin/python3", {
      args: [script, String(reps), ...rows],
      env: { THREADS: String(threads ?? navigator.hardwareConcurrency) },
      stdout: "piped",
      stderr: "inherit",
    }).outputSync();
  } catch (error) {
    console.log(`PyTorch not run: ${(error as Error).message}`);
    return out;
  }
  for (const line of new TextDecoder().decode(result.stdout).split("\n")) {
    if (!line.startsWith("{")) continue;
    const r = JSON.parse(line);
    out.set(r.row, { median: r.median, runs: r.runs, rss: r.maxrss_mb, cpu: r.cpu });
  }
  return out;
}

const fmt = (s?: number) => (s === undefined ? "—" : s < 10 ? s.toFixed(3) : s.toFixed(1));
const ratio = (
  a?: number,
  b?: number,
) => (a === undefined || b === undefined ? "—" : `${(a / b).toFixed(2)}×`);

// ---- rows
const small: Dims = [64, 64, 48], large: Dims = [112, 112, 80];
/** The hippocampus preset's patch: one network of a co-training iteration sees batch 2 + 2. */
const hippocampus: Dims = [32, 48, 32];
/** Our rows beside the engine_torch.py row that times the same workloads (same number of runs). */
const groups: Array<{ rows: Row[]; torch: string }> = [
  { rows: vnetRows(hippocampus, 4, reps), torch: `vnet:${hippocampus},4` },
  { rows: convRows(small), torch: `conv:${small}` },
  { rows: vnetRows(small, 1, reps), torch: `vnet:${small},1` },
  { rows: vnetRows(small, 4, reps), torch: `vnet:${small},4` },
  { rows: vnetRows(large, 1, 1), torch: `vnet:${large},1@1` },
];
if (opts["big-batch"]) groups.push({ rows: vnetRows(large, 4, 1), torch: `vnet:${large},4@1` });
if (sharedData) {
  const id = Deno.readTextFileSync(`${sharedData}/la2018/cases.list`).trim().split(/\s+/)[0];
  const path = `${sharedData}/la2018/${id}/mri_norm2.h5`;
  groups.push({ rows: [await slidingRow(path, id)], torch: `sliding:${path}@1` });
}
// --only <text>: the rows whose id contains it (e.g. `vnet-step:112`), for re-measuring one row.
const selected = groups
  .map((g) => ({ ...g, rows: g.rows.filter((r) => !opts.only || r.id.includes(opts.only)) }))
  .filter((g) => g.rows.length > 0);
const rows = selected.flatMap((g) => g.rows);
const torchRows = selected.map((g) => g.torch);

const info = await initEngine({ backend: "cpu", threads });
console.log(
  `engine: ${info.backend} (${info.cpuEngine}), ${info.threads} threads, ${info.variant}; Deno ${Deno.version.deno}; ` +
    `reps ${reps}; load average ${Deno.loadavg().map((l) => l.toFixed(1)).join(" ")}`,
);
const ours = new Map<string, Timing>();
for (const row of rows) {
  const t = await measure(row, row.reps, row.warm);
  ours.set(row.id, t);
  console.log(
    `  ours  ${row.label}: ${t.runs.map((r) => r.toFixed(3)).join(", ")} s; ` +
      `median run used ${t.cpu?.toFixed(2)} CPU s; peak RSS ${t.rss?.toFixed(0)} MB`,
  );
}
shutdownEngine();

const stock = new Map<string, Timing>();
await tf.setBackend("cpu");
for (const row of rows.filter((r) => opts.stock === "all" || (opts.stock === "conv" && r.stock))) {
  const t = await measure(row, 1, opts.stock !== "all");
  stock.set(row.id, t);
  console.log(`  stock ${row.label}: ${t.runs.map((r) => r.toFixed(3)).join(", ")} s`);
}

const torch = torchTimings(torchRows);
for (const [id, t] of torch) {
  console.log(
    `  torch ${id}: ${t.runs.map((r) => r.toFixed(3)).join(", ")} s; ` +
      `median run used ${t.cpu?.toFixed(2)} CPU s`,
  );
}

console.log(
  "\n| workload | GFLOP | ours s (GFLOP/s) | stock tfjs s | stock/ours | PyTorch s | ours/PyTorch | CPU s ours / PyTorch | peak RSS ours / PyTorch MB |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const row of rows) {
  const o = ours.get(row.id)!, s = stock.get(row.id), p = torch.get(row.id);
  console.log(
    `| ${row.label} | ${row.gflop.toFixed(1)} | ${fmt(o.median)} (${
      (row.gflop / o.median).toFixed(1)
    }) | ` +
      `${fmt(s?.median)} | ${ratio(s?.median, o.median)} | ${fmt(p?.median)} | ${
        ratio(o.median, p?.median)
      } | ` +
      `${o.cpu?.toFixed(2)} / ${p?.cpu?.toFixed(2) ?? "—"} | ` +
      `${o.rss?.toFixed(0)} / ${p?.rss.toFixed(0) ?? "—"} |`,
  );
}
Deno.exit(0);
