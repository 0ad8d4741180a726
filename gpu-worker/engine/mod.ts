/**
 * The compute engine: picks the tfjs backend at start-up and, on the CPU, registers the
 * WebAssembly SIMD kernels (issue #4). Call {@link initEngine} once before building a model.
 */
import * as tf from "@tensorflow/tfjs";
import { UserError } from "@llmseg/shared";
import { releaseDisposedArrays } from "./eager_release.ts";
import { releaseTapeEarly } from "./tape_release.ts";
import { type BackendName, probeGpuAdapter, tryTfjsNodeGpu, tryWebGpu } from "./backend.ts";
import { type CpuEngine, startCpuEngine } from "./cpu_engine.ts";
import { detectWasmFeatures } from "./features.ts";
import { registerFastKernels, unregisterFastKernels } from "./register.ts";
import { loadOneDnn, type OneDnn } from "./onednn/library.ts";

export type { BackendName } from "./backend.ts";

/** Options of {@link initEngine}. */
export interface EngineOptions {
  /**
   * Threads for the CPU kernels, the main one included (default: `LLMSEG_THREADS` when set, else
   * all cores, `navigator.hardwareConcurrency`).
   */
  threads?: number;
  /** Kernel module for the CPU: default relaxed-simd where validated, else simd128. */
  variant?: "relaxed-simd" | "simd128";
  /** Backend to use; "auto" (default) tries tfjs-node-gpu, then a hardware WebGPU adapter, then cpu. */
  backend?: "auto" | BackendName;
  /**
   * Who runs the CPU convolutions and matMuls: "onednn" (native, issue #13; an error where it
   * cannot load), "wasm", or "auto" (default: `LLMSEG_ENGINE` when set, else oneDNN where it
   * loads, else wasm).
   */
  cpuEngine?: CpuEngineChoice;
}

/** Values of {@link EngineOptions.cpuEngine} and `LLMSEG_ENGINE`. */
export const CPU_ENGINES = ["auto", "onednn", "wasm"] as const;
export type CpuEngineChoice = typeof CPU_ENGINES[number];

/** What {@link initEngine} selected, for logs and `llmseg doctor`. */
export interface EngineInfo {
  /** The tfjs backend now current. */
  backend: BackendName;
  /** Threads the CPU kernels use (1 when they are not in use). */
  threads: number;
  /** Whether the runtime validates WebAssembly SIMD128. */
  simd: boolean;
  /** Whether the runtime validates relaxed SIMD (fused multiply-add). */
  relaxedSimd: boolean;
  /** The CPU kernel module in use: "relaxed-simd", "simd128", or "none" off the CPU. */
  variant: "relaxed-simd" | "simd128" | "none";
  /** Who runs the CPU convolutions and matMuls ("none" off the CPU). */
  cpuEngine: "onednn" | "wasm" | "none";
  /** Why oneDNN does not run them, when the CPU engine is "wasm". */
  oneDnnUnavailable?: string;
  /** Fast CPU kernels registered with tfjs's cpu backend (empty on other backends). */
  kernels: string[];
  /** The WebGPU adapter seen, if any, and whether it was skipped as a software one. */
  gpuAdapter?: { description: string; software: boolean };
}

let cpuEngine: CpuEngine | undefined;

/** `LLMSEG_THREADS`, validated; undefined when unset. */
function threadsFromEnvironment(): number | undefined {
  const text = Deno.env.get("LLMSEG_THREADS");
  if (text === undefined || text === "") return undefined;
  const threads = Number(text);
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new UserError("bad_env", `LLMSEG_THREADS must be an integer 1..256, got '${text}'`);
  }
  return threads;
}

/** `LLMSEG_ENGINE`, validated; undefined when unset. */
function cpuEngineFromEnvironment(): CpuEngineChoice | undefined {
  const text = Deno.env.get("LLMSEG_ENGINE");
  if (text === undefined || text === "") return undefined;
  if (!(CPU_ENGINES as readonly string[]).includes(text)) {
    throw new UserError(
      "bad_env",
      `LLMSEG_ENGINE must be one of ${CPU_ENGINES.join(", ")}, got '${text}'`,
    );
  }
  return text as CpuEngineChoice;
}

/** oneDNN when `choice` allows it and it loads; else why not (an error when it was required). */
function pickNative(choice: CpuEngineChoice, threads: number): OneDnn | string {
  if (choice === "wasm") return "LLMSEG_ENGINE / cpuEngine chose wasm";
  const loaded = loadOneDnn(threads);
  if ("library" in loaded) return loaded.library;
  if (choice === "onednn") throw new Error(`oneDNN engine unavailable: ${loaded.reason}`);
  return loaded.reason;
}

/** Stops the kernel threads and restores tfjs's stock cpu kernels (tests, clean exit). */
export function shutdownEngine(): void {
  unregisterFastKernels();
  cpuEngine?.stop();
  cpuEngine = undefined;
}

/**
 * Selects and initialises the backend (issue #3 item 1): tfjs-node-gpu where installed, else
 * WebGPU on a hardware adapter (software ones such as llvmpipe are slower than the CPU path and
 * skipped), else tfjs's cpu backend with the WebAssembly kernels on `threads` threads registered.
 * Calling it again re-selects (and restarts the threads).
 */
export async function initEngine(options: EngineOptions = {}): Promise<EngineInfo> {
  shutdownEngine();
  releaseTapeEarly();
  const wanted = options.backend ?? "auto";
  const features = detectWasmFeatures();
  const gpuAdapter = await probeGpuAdapter();
  const base = {
    simd: features.simd,
    relaxedSimd: features.relaxedSimd,
    kernels: [] as string[],
    threads: 1,
    variant: "none" as const,
    cpuEngine: "none" as const,
    gpuAdapter,
  };
  if (wanted === "tfjs-node-gpu" || wanted === "auto") {
    if (await tryTfjsNodeGpu()) return { ...base, backend: "tfjs-node-gpu" };
    if (wanted === "tfjs-node-gpu") throw new Error("tfjs-node-gpu is not installed");
  }
  if (wanted === "webgpu" || (wanted === "auto" && gpuAdapter && !gpuAdapter.software)) {
    if (await tryWebGpu()) return { ...base, backend: "webgpu" };
    if (wanted === "webgpu") throw new Error("the WebGPU backend could not start");
  }
  await tf.setBackend("cpu");
  await tf.ready();
  const threads = options.threads ?? threadsFromEnvironment() ?? navigator.hardwareConcurrency ?? 1;
  const native = pickNative(options.cpuEngine ?? cpuEngineFromEnvironment() ?? "auto", threads);
  cpuEngine = await startCpuEngine(threads, options.variant);
  const kernels = registerFastKernels(cpuEngine, typeof native === "string" ? undefined : native);
  releaseDisposedArrays(tf.backend());
  return {
    ...base,
    backend: "cpu",
    threads,
    variant: cpuEngine.variant,
    kernels,
    ...(typeof native === "string"
      ? { cpuEngine: "wasm", oneDnnUnavailable: native }
      : { cpuEngine: "onednn" }),
  };
}
