/**
 * Runs a kernel on T threads and returns when all are done, synchronously (tfjs cpu kernels are
 * synchronous): the main thread computes share 0 and then blocks in Atomics.wait (allowed on
 * Deno's main thread) for the T-1 workers, which share the kernel module's memory. The workers are
 * node:worker_threads ones, unref'd, so that idle kernel threads never keep a process alive
 * (Deno's web Workers do, and cannot be unref'd).
 */
import { Worker } from "node:worker_threads";
import {
  callKernel,
  CONTROL,
  CONTROL_LENGTH,
  KERNEL_EXPORTS,
  type KernelExport,
  MAX_ARGS,
  type WorkerInit,
} from "./pool_protocol.ts";

/** The main thread's kernel instance plus T-1 workers over the same memory. */
export class ThreadPool {
  readonly threads: number;
  readonly #instance: WebAssembly.Instance;
  readonly #control = new Int32Array(new SharedArrayBuffer(CONTROL_LENGTH * 4));
  readonly #workers: Worker[] = [];

  private constructor(instance: WebAssembly.Instance, threads: number) {
    this.#instance = instance;
    this.threads = threads;
  }

  /** Starts `threads - 1` workers; resolves once each has instantiated the module. */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    threads: number,
  ): Promise<ThreadPool> {
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const pool = new ThreadPool(instance, threads);
    const ready: Promise<void>[] = [];
    for (let index = 1; index < threads; index++) {
      const worker = new Worker(new URL("./worker.ts", import.meta.url));
      pool.#workers.push(worker);
      ready.push(
        new Promise((resolve, reject) => {
          worker.once("message", () => resolve());
          worker.once("error", (e: Error) => {
            reject(new Error(`kernel worker ${index} failed to start: ${e.message}`));
          });
        }),
      );
      const init: WorkerInit = {
        module,
        memory,
        control: pool.#control.buffer as SharedArrayBuffer,
        index,
        count: threads,
      };
      worker.postMessage(init);
    }
    await Promise.all(ready);
    for (const worker of pool.#workers) worker.unref();
    return pool;
  }

  /** Runs `name(args..., t, T)` for every t and returns when all threads have finished. */
  run(name: KernelExport, args: number[]): void {
    if (args.length > MAX_ARGS) throw new RangeError(`${name}: too many arguments`);
    const T = this.threads;
    if (T === 1) {
      callKernel(this.#instance, name, args, 0, 1);
      return;
    }
    const ctl = this.#control;
    Atomics.store(ctl, CONTROL.kernel, KERNEL_EXPORTS.indexOf(name));
    Atomics.store(ctl, CONTROL.argc, args.length);
    ctl.set(args, CONTROL.args);
    Atomics.store(ctl, CONTROL.done, 0);
    Atomics.add(ctl, CONTROL.generation, 1);
    Atomics.notify(ctl, CONTROL.generation);
    let mainError: unknown;
    try {
      callKernel(this.#instance, name, args, 0, T);
    } catch (error) {
      mainError = error;
    }
    for (
      let done = Atomics.load(ctl, CONTROL.done);
      done < T - 1;
      done = Atomics.load(ctl, CONTROL.done)
    ) {
      Atomics.wait(ctl, CONTROL.done, done);
    }
    if (mainError !== undefined) throw mainError;
    if (Atomics.exchange(ctl, CONTROL.failed, 0) !== 0) {
      throw new Error(`${name} failed in a worker thread`);
    }
  }

  /** Stops the workers (they exit their wait loop); the pool cannot run afterwards. */
  stop(): void {
    const ctl = this.#control;
    Atomics.store(ctl, CONTROL.stop, 1);
    Atomics.add(ctl, CONTROL.generation, 1);
    Atomics.notify(ctl, CONTROL.generation);
    // Woken out of Atomics.wait, the workers can be terminated (a blocked one could not).
    for (const worker of this.#workers) void worker.terminate();
    this.#workers.length = 0;
  }
}
