/**
 * The compute engine: picks the tfjs backend at start-up and, on the CPU, registers the
 * WebAssembly SIMD kernels (issue #4). Call {@link initEngine} once before building a model.
 */
import * as tf from "@tensorflow/tfjs";
import { UserError } from "@llmseg/shared";
import { type BackendName, probeGpuAdapter, tryTfjsNodeGpu, tryWebGpu } from "./backend.ts";
import { type CpuEngine, startCpuEngine } from "./cpu_engine.ts";
import { detectWasmFeatures } from "./features.ts";
import { registerFastKernels, unregisterFastKernels } from "./register.ts";

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
}

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
  const wanted = options.backend ?? "auto";
  const features = detectWasmFeatures();
  const gpuAdapter = await probeGpuAdapter();
  const base = {
    simd: features.simd,
    relaxedSimd: features.relaxedSimd,
    kernels: [] as string[],
    threads: 1,
    variant: "none" as const,
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
  cpuEngine = await startCpuEngine(threads, options.variant);
  const kernels = registerFastKernels(cpuEngine);
  return { ...base, backend: "cpu", threads, variant: cpuEngine.variant, kernels };
}
