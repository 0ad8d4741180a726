/** tfjs's own cpu kernels where the engine's replace them: restored at the end, run where ours stop. */
import type * as tf from "@tensorflow/tfjs";

/** The replaced kernels by kernel name. */
export type StockKernels = Map<string, tf.KernelConfig>;

/**
 * Runs tfjs's own kernel `name`: every engine kernel's answer to inputs it does not cover (another
 * dtype, layout or broadcast), so those compute exactly what they did before the engine.
 */
export function runStock(
  stock: StockKernels,
  name: string,
  args: Parameters<tf.KernelFunc>[0],
): tf.TensorInfo {
  return stock.get(name)!.kernelFunc(args) as tf.TensorInfo;
}
