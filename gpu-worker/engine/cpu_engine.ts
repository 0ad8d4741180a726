/**
 * The WebAssembly CPU engine: the kernel module (relaxed-SIMD build where the runtime validates
 * it, SIMD128 otherwise), its shared memory arena and the thread pool that runs it.
 */
import { Arena } from "./wasm_arena.ts";
import { detectWasmFeatures, type WasmFeatures } from "./features.ts";
import { ThreadPool } from "./thread_pool.ts";
import type { KernelExport } from "./pool_protocol.ts";

/** A started engine: allocate with `arena` (in an `arena.scope`), run kernels with `run`. */
export interface CpuEngine {
  readonly arena: Arena;
  readonly threads: number;
  readonly features: WasmFeatures;
  /** Which module runs: fused multiply-add ("relaxed-simd") or "simd128". */
  readonly variant: "relaxed-simd" | "simd128";
  /** Runs an exported kernel on all threads; synchronous. */
  run(name: KernelExport, args: number[]): void;
  /** Stops the worker threads. */
  stop(): void;
}

/** Loads the kernel module and starts `threads` threads (main included). */
export async function startCpuEngine(
  threads: number,
  variant?: "relaxed-simd" | "simd128",
): Promise<CpuEngine> {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`threads must be a positive integer, got ${threads}`);
  }
  const features = detectWasmFeatures();
  if (!features.simd || !features.threads) {
    throw new Error("this runtime lacks WebAssembly SIMD128 or shared memory");
  }
  const chosen = variant ?? (features.relaxedSimd ? "relaxed-simd" : "simd128");
  const file = chosen === "relaxed-simd" ? "kernels_relaxed.wasm" : "kernels_simd128.wasm";
  const module = await WebAssembly.compile(
    await Deno.readFile(new URL(`./kernels/${file}`, import.meta.url)),
  );
  const arena = new Arena();
  const pool = await ThreadPool.start(module, arena.memory, threads);
  return {
    arena,
    threads,
    features,
    variant: chosen,
    run: (name, args) => pool.run(name, args),
    stop: () => pool.stop(),
  };
}
