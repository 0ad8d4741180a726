/** Layout of the control block shared by the thread pool and its workers (Int32Array indices). */
export const CONTROL = {
  /** Bumped by the main thread to start a job. */
  generation: 0,
  /** Workers that finished the current job. */
  done: 1,
  /** Set to 1 to make the workers exit. */
  stop: 2,
  /** Set by a worker whose kernel threw (a wasm trap): the main thread rethrows. */
  failed: 3,
  /** Index of the kernel in {@link KERNEL_EXPORTS}. */
  kernel: 4,
  /** Number of arguments of the current job. */
  argc: 5,
  /** First of {@link MAX_ARGS} int32 arguments (pointers, sizes). */
  args: 6,
} as const;

export const MAX_ARGS = 6;
export const CONTROL_LENGTH = CONTROL.args + MAX_ARGS;

/** Exported kernel entry points, each `(args..., t, T)`. */
export const KERNEL_EXPORTS = [
  "conv3d_forward",
  "conv3d_backprop_input",
  "conv3d_backprop_filter",
  "bn_moments",
  "bn_forward",
  "bn_grad_sums",
  "bn_grad_dx",
] as const;
export type KernelExport = typeof KERNEL_EXPORTS[number];

/** The message that starts a worker. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  index: number;
  count: number;
}

/** Calls kernel `name` of `instance` for thread t of T. */
export function callKernel(
  instance: WebAssembly.Instance,
  name: KernelExport,
  args: ArrayLike<number>,
  t: number,
  T: number,
): void {
  const fn = instance.exports[name] as (...a: number[]) => void;
  fn(...Array.from(args), t, T);
}
