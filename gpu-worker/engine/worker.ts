/**
 * A kernel thread: instantiates the kernel module over the shared memory, then loops, blocked in
 * Atomics.wait, running its share of each job the main thread posts (see thread_pool.ts).
 */
import { parentPort } from "node:worker_threads";
import { callKernel, CONTROL, KERNEL_EXPORTS, type WorkerInit } from "./pool_protocol.ts";

parentPort!.once("message", (init: WorkerInit) => {
  const { module, memory, control, index, count } = init;
  const ctl = new Int32Array(control);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  // Read before saying ready: the first job may be posted as soon as the main thread hears it.
  let generation = Atomics.load(ctl, CONTROL.generation);
  parentPort!.postMessage("ready");
  for (;;) {
    Atomics.wait(ctl, CONTROL.generation, generation);
    generation = Atomics.load(ctl, CONTROL.generation);
    if (Atomics.load(ctl, CONTROL.stop) === 1) break;
    try {
      const kernel = KERNEL_EXPORTS[Atomics.load(ctl, CONTROL.kernel)];
      const args = ctl.slice(CONTROL.args, CONTROL.args + Atomics.load(ctl, CONTROL.argc));
      callKernel(instance, kernel, args, index, count);
    } catch (error) {
      console.error(`kernel worker ${index}:`, error);
      Atomics.store(ctl, CONTROL.failed, 1);
    }
    Atomics.add(ctl, CONTROL.done, 1);
    Atomics.notify(ctl, CONTROL.done);
  }
  // Out of the wait loop: the main thread's terminate() now ends this thread.
});
