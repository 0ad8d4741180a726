/**
 * `deno task bench profile_train [--reps N] [--threads N] [--top N]` (issue #13): where one
 * hippocampus co-training iteration (as `deno task bench train`'s `cotrain` row) spends its time
 * and memory. Every cpu-backend kernel is wrapped with a timer; each kernel call is charged to the
 * phase it runs in: CutMix of the inputs, forward A, forward B, losses (softmax, CutMix of the
 * probabilities, CE + Dice, USL), backward (tfjs's tape, once the forward closure has returned) and
 * SGD. Prints main-thread wall and process CPU seconds per phase, kernel seconds by kernel name,
 * tfjs's tensor bytes at each phase's end and the peak with the phase it falls in.
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import process from "node:process";
import { Rng } from "@llmseg/shared";
import { initEngine } from "../../gpu-worker/engine/mod.ts";
import { presets } from "../../gpu-worker/training/presets.ts";
import { cotrainStep, type Member } from "../../gpu-worker/training/step.ts";
import { cotrainBatch, presetMember } from "../../gpu-worker/training/testing/preset_workload.ts";
import { peakRssMb } from "./lib/timing.ts";

const args = Deno.args[0] === "profile_train" ? Deno.args.slice(1) : Deno.args;
const { values: opts } = parseArgs({
  args,
  options: {
    reps: { type: "string", default: "3" },
    threads: { type: "string", default: String(navigator.hardwareConcurrency) },
    top: { type: "string", default: "25" },
  },
});
const reps = Number(opts.reps);
const config = presets.hippocampus;

type Phase = "CutMix inputs" | "forward A" | "forward B" | "losses" | "backward" | "SGD";
const PHASES: Phase[] = ["CutMix inputs", "forward A", "forward B", "losses", "backward", "SGD"];

/** Accumulated figures of the profiled iterations. */
const profile = {
  recording: false,
  phase: "CutMix inputs" as Phase,
  since: 0,
  cpuSince: process.cpuUsage(),
  wall: new Map<Phase, number>(),
  cpu: new Map<Phase, number>(),
  bytesAtEnd: new Map<Phase, number>(),
  kernels: new Map<string, { ms: number; calls: number; outBytes: number }>(),
  kernelMsByPhase: new Map<Phase, number>(),
  peakBytes: 0,
  peakPhase: "CutMix inputs" as Phase,
};

function add<K>(map: Map<K, number>, key: K, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

/** Closes the running phase's wall/CPU interval and starts `next`. */
function enter(next: Phase): void {
  const now = performance.now();
  const cpu = process.cpuUsage(profile.cpuSince);
  if (profile.recording) {
    add(profile.wall, profile.phase, now - profile.since);
    add(profile.cpu, profile.phase, (cpu.user + cpu.system) / 1000);
    profile.bytesAtEnd.set(profile.phase, tf.memory().numBytes);
  }
  profile.phase = next;
  profile.since = now;
  profile.cpuSince = process.cpuUsage();
}

/** tfjs's engine state: a tape is recording while the forward closure of variableGrads runs. */
function taping(): boolean {
  return (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0;
}

/** Re-registers every cpu kernel behind a timer. */
function wrapKernels(): void {
  for (const config of tf.getKernelsForBackend("cpu")) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, "cpu");
    tf.registerKernel({
      ...config,
      kernelFunc: (kernelArgs) => {
        if (profile.recording && profile.phase === "losses" && !taping()) enter("backward");
        const t = performance.now();
        const out = inner(kernelArgs);
        const ms = performance.now() - t;
        if (!profile.recording) return out;
        const entry = profile.kernels.get(config.kernelName) ??
          { ms: 0, calls: 0, outBytes: 0 };
        entry.ms += ms;
        entry.calls++;
        for (const o of Array.isArray(out) ? out : [out]) {
          entry.outBytes += tf.util.sizeFromShape(o.shape) * 4;
        }
        profile.kernels.set(config.kernelName, entry);
        add(profile.kernelMsByPhase, profile.phase, ms);
        const bytes = tf.memory().numBytes;
        if (bytes > profile.peakBytes) {
          profile.peakBytes = bytes;
          profile.peakPhase = profile.phase;
        }
        return out;
      },
    });
  }
}

/** The preset's member (as `deno task bench train` builds it), its forward and SGD phase-marked. */
function member(seed: number, knowledge: Float32Array, label: "A" | "B"): Member {
  const { network, optimizer } = presetMember(config, seed, knowledge);
  const apply = network.apply.bind(network);
  network.apply = (x, options) => {
    enter(label === "A" ? "forward A" : "forward B");
    const out = apply(x, options);
    enter("losses");
    return out;
  };
  const step = optimizer.step.bind(optimizer);
  optimizer.step = (grads, lr) => {
    if (profile.phase !== "SGD") enter("SGD");
    step(grads, lr);
  };
  return { network, optimizer };
}

const info = await initEngine({ threads: Number(opts.threads) });
wrapKernels();
const rng = new Rng(1);
const knowledge = Float32Array.from({ length: 768 }, () => rng.normal() * 0.5);
const a = member(1, knowledge, "A"), b = member(2, knowledge, "B");
const batch = cotrainBatch(config, rng);
const settings = { config, lr: 0.01, unsupWeight: config.unsupMaxWeight, rng };
const step = async (): Promise<void> => {
  enter("CutMix inputs");
  await cotrainStep(a, b, batch, settings);
};

await step(); // warm-up: first calls allocate, buffers of SGD appear
const baseBytes = tf.memory().numBytes;
let wall = 0, cpuTotal = 0;
for (let i = 0; i < reps; i++) {
  profile.recording = true;
  const cpu = process.cpuUsage();
  const t = performance.now();
  await step();
  enter("CutMix inputs");
  wall += performance.now() - t;
  const used = process.cpuUsage(cpu);
  cpuTotal += (used.user + used.system) / 1000;
  profile.recording = false;
}

const f = (ms: number) => (ms / reps / 1000).toFixed(3);
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
console.log(
  `engine ${info.cpuEngine ?? info.backend}, threads ${info.threads}, ${reps} iterations; ` +
    `load ${Deno.loadavg()[0].toFixed(1)}`,
);
console.log(`per iteration: wall ${f(wall)} s, CPU ${f(cpuTotal)} s`);
console.log("\n| phase | wall s | CPU s | in kernels s | tensor MB at end |");
console.log("|---|---|---|---|---|");
for (const p of PHASES) {
  console.log(
    `| ${p} | ${f(profile.wall.get(p) ?? 0)} | ${f(profile.cpu.get(p) ?? 0)} | ${
      f(profile.kernelMsByPhase.get(p) ?? 0)
    } | ${mb((profile.bytesAtEnd.get(p) ?? 0) - baseBytes)} |`,
  );
}
console.log(
  `\ntensor memory: ${mb(baseBytes)} MB between iterations (weights, momentum, batch); ` +
    `peak +${mb(profile.peakBytes - baseBytes)} MB during ${profile.peakPhase}; ` +
    `peak RSS ${peakRssMb().toFixed(0)} MB`,
);
const sorted = [...profile.kernels].sort((x, y) => y[1].ms - x[1].ms);
const kernelTotal = sorted.reduce((s, [, e]) => s + e.ms, 0);
console.log(
  `\nkernels: ${f(kernelTotal)} s per iteration of ${f(wall)} s wall (the rest: tfjs ` +
    `bookkeeping, tape, JS outside kernels)`,
);
console.log("| kernel | s per iteration | calls | output MB |");
console.log("|---|---|---|---|");
for (const [name, e] of sorted.slice(0, Number(opts.top))) {
  console.log(
    `| ${name} | ${f(e.ms)} | ${e.calls / reps} | ${mb(e.outBytes / reps)} |`,
  );
}
Deno.exit(0);
