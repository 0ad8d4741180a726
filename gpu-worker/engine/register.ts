/** Registers the wasm kernels with tfjs's cpu backend, keeping the stock ones to restore. */
import * as tf from "@tensorflow/tfjs";
import type { CpuEngine } from "./cpu_engine.ts";
import { conv3dKernelConfigs } from "./conv3d_kernels.ts";
import { elementwiseKernelConfigs } from "./elementwise_kernels.ts";
import { gatherKernelConfigs } from "./gather_kernels.ts";
import { matMulKernelConfig } from "./matmul_kernel.ts";
import { reverseKernelConfig, transposeKernelConfig } from "./transpose_kernel.ts";
import type { OneDnn } from "./onednn/library.ts";
import { withOneDnnKernels } from "./onednn/kernels.ts";
import type { StockKernels } from "./stock_kernels.ts";

const stock: StockKernels = new Map();
/** Names of the kernels registered here, the ones with no stock counterpart (fused ops) included. */
const registered = new Set<string>();
/** The engine whose kernels are registered, for ops that call it directly (fused batch norm). */
let active: CpuEngine | undefined;
/** The oneDNN shim the registered kernels use, if any (the fused batch norm runs its loops there). */
let activeNative: OneDnn | undefined;

/**
 * Replaces the cpu backend's kernels by the engine's, the convolutions and matMul by oneDNN's when
 * `native` is loaded (issue #13; they fall back to the wasm ones), which also runs the large
 * element-wise ops, sums, SGD updates and transposes on its threads; returns their names.
 */
export function registerFastKernels(engine: CpuEngine, native?: OneDnn): string[] {
  unregisterFastKernels();
  const wasm = [
    ...conv3dKernelConfigs(engine, stock),
    matMulKernelConfig(engine, stock),
    ...elementwiseKernelConfigs(stock, native),
    ...gatherKernelConfigs(stock),
    transposeKernelConfig(stock, native),
    reverseKernelConfig(stock),
  ];
  const configs = native ? withOneDnnKernels(native, wasm) : wasm;
  for (const config of configs) {
    const original = tf.getKernel(config.kernelName, "cpu");
    if (original) stock.set(config.kernelName, original);
    if (original) tf.unregisterKernel(config.kernelName, "cpu");
    tf.registerKernel(config);
    registered.add(config.kernelName);
  }
  active = engine;
  activeNative = native;
  return configs.map((c) => c.kernelName);
}

/** The engine whose kernels are registered now, if any. */
export function activeEngine(): CpuEngine | undefined {
  return active;
}

/** The oneDNN shim of the registered kernels, if they run on it. */
export function activeOneDnn(): OneDnn | undefined {
  return activeNative;
}

/** Whether the engine's kernels (its sum-then-scale Mean among them) are registered now. */
export function fastKernelsRegistered(): boolean {
  return stock.size > 0;
}

/** Puts the stock cpu kernels back (no-op when none are replaced). */
export function unregisterFastKernels(): void {
  for (const name of registered) {
    tf.unregisterKernel(name, "cpu");
    const original = stock.get(name);
    if (original) tf.registerKernel(original);
  }
  registered.clear();
  stock.clear();
  active = undefined;
  activeNative = undefined;
}
