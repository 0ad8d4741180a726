/**
 * Gives a disposed tensor's memory back at once on the cpu backend (issue #13, sliding-window
 * memory). tfjs's cpu backend keeps each tensor in a typed array; disposing the tensor only drops
 * the backend's reference, and the memory waits for V8's garbage collector, which runs far behind a
 * forward pass that allocates a 64 MB activation per op: the sliding window's peak RSS was 2.1×
 * PyTorch's for that garbage alone (its live tensors peak near 315 MB). Here the backend's store is
 * watched, and when the last data entry holding an array is deleted its buffer is detached
 * (`ArrayBuffer.prototype.transfer(0)`), which frees the memory immediately.
 *
 * Only arrays that kernels produced (`makeTensorInfo`) are released, and only when nothing else
 * can still hold them: not an array a caller handed to `tf.tensor` (the caller keeps it), not one
 * ever read out through `dataSync`/`data` (tfjs hands out the store itself), not one another data
 * entry still holds (a slice's view, an array two tensors share), and not a SharedArrayBuffer.
 * Code of ours that reads a store inside an op uses `cpuStore` (cpu_backend.ts), which marks nothing.
 */
import type * as tf from "@tensorflow/tfjs";
import { asCpu, type CpuBackend, type Store } from "./cpu_backend.ts";

/** ArrayBuffer.prototype.transfer (ES2024): detaches the buffer and frees its memory. */
type Transferable = ArrayBuffer & { transfer(length: number): ArrayBuffer };

function bufferOf(values: Store | undefined): ArrayBuffer | undefined {
  const buffer = (values as { buffer?: unknown } | undefined)?.buffer;
  return buffer instanceof ArrayBuffer ? buffer : undefined;
}

const watched = new WeakSet<CpuBackend>();

/**
 * Watches `backend` (the cpu backend) from now on; idempotent. Returns false where the runtime has
 * no ArrayBuffer.prototype.transfer (nothing is watched then).
 */
export function releaseDisposedArrays(backend: tf.KernelBackend): boolean {
  const cpu = asCpu(backend);
  if (typeof (ArrayBuffer.prototype as Partial<Transferable>).transfer !== "function") return false;
  if (watched.has(cpu)) return true;
  watched.add(cpu);
  /** Data entries holding each buffer, counted for kernel outputs only. */
  const holders = new WeakMap<ArrayBuffer, number>();
  /** Buffers that may be held outside the backend: never released. */
  const escaped = new WeakSet<ArrayBuffer>();
  const { data } = cpu;
  const set = data.set.bind(data), remove = data.delete.bind(data);
  const makeTensorInfo = cpu.makeTensorInfo.bind(cpu);
  let producing = 0;
  cpu.makeTensorInfo = (shape, dtype, values) => {
    producing++;
    try {
      return makeTensorInfo(shape, dtype, values);
    } finally {
      producing--;
    }
  };
  data.set = (dataId, entry) => {
    const buffer = bufferOf(entry.values);
    if (buffer) {
      if (producing > 0 || holders.has(buffer)) {
        holders.set(buffer, (holders.get(buffer) ?? 0) + 1);
      } else {
        escaped.add(buffer); // tf.tensor(values): the caller keeps the array
      }
    }
    set(dataId, entry);
  };
  data.delete = (dataId) => {
    const buffer = bufferOf(data.get(dataId)?.values);
    const removed = remove(dataId);
    const count = buffer && holders.get(buffer);
    if (buffer && count !== undefined) {
      if (count > 1) holders.set(buffer, count - 1);
      else {
        holders.delete(buffer);
        if (!escaped.has(buffer)) (buffer as Transferable).transfer(0);
      }
    }
    return removed;
  };
  const markRead = (dataId: object) => {
    const buffer = bufferOf(data.get(dataId)?.values);
    if (buffer) escaped.add(buffer);
  };
  const readSync = cpu.readSync.bind(cpu), read = cpu.read.bind(cpu);
  cpu.readSync = (dataId) => {
    markRead(dataId);
    return readSync(dataId);
  };
  cpu.read = (dataId) => {
    markRead(dataId);
    return read(dataId);
  };
  return true;
}
