/**
 * The parts of tfjs-backend-cpu's MathBackendCPU that the engine's kernels reach into: its data
 * store (one entry per tensor, holding the tensor's typed array) and the constructor of output
 * tensors. tfjs exports no type for these, so the engine declares them once, here.
 */
import * as tf from "@tensorflow/tfjs";

/** A tensor's typed array as the backend holds it. */
export type Store = tf.backend_util.BackendValues;

export interface DataEntry {
  values?: Store;
}

export interface CpuBackend {
  data: {
    get(dataId: object): DataEntry | undefined;
    set(dataId: object, entry: DataEntry): void;
    delete(dataId: object): boolean;
  };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Store): tf.TensorInfo;
  incRef(dataId: object): void;
  readSync(dataId: object): Store;
  read(dataId: object): Promise<Store>;
}

/** `backend` (a kernel's: ours are all registered for "cpu") with the parts above typed. */
export function asCpu(backend: unknown): CpuBackend {
  return backend as CpuBackend;
}

/** The registered cpu backend, for code outside a kernel. */
export function cpuBackend(): CpuBackend {
  return asCpu(tf.engine().findBackend("cpu"));
}

/**
 * The array of `info` without copying. A float32 tensor usually holds a Float32Array, but one cast
 * from bool or int32 shares its input's Uint8Array or Int32Array: code that hands the array to C
 * checks it first (`allFloat32`).
 */
export function storeOf(backend: CpuBackend, info: { dataId: object }): Store {
  return backend.data.get(info.dataId)!.values!;
}

/**
 * The array of a float32 `info`, typed as such: for JS loops, which read the Uint8Array or
 * Int32Array of a cast float32 tensor correctly too.
 */
export function float32Store(backend: CpuBackend, info: { dataId: object }): Float32Array {
  return storeOf(backend, info) as Float32Array;
}

/**
 * The cpu backend's own array of a float32 `t`, without copying and without handing it out (unlike
 * `dataSync`, it leaves the array releasable, see eager_release.ts): for reading inside an op, not
 * for keeping.
 */
export function cpuStore(t: tf.Tensor): Float32Array {
  return (cpuBackend().data.get(t.dataId)?.values ?? t.dataSync()) as Float32Array;
}

/**
 * A float32 tensor over `values`, made the way a kernel makes its output (so, unlike `tf.tensor`,
 * its array is released as soon as the tensor is disposed): for ops that compute their arrays
 * outside the kernel registry (the fused batch norm's `tf.customGrad`).
 */
export function cpuTensor<R extends tf.Rank>(values: Float32Array, shape: number[]): tf.Tensor<R> {
  const backend = cpuBackend();
  const info = backend.makeTensorInfo(shape, "float32", values);
  return tf.engine().makeTensorFromTensorInfo(
    info,
    backend as unknown as tf.KernelBackend,
  ) as tf.Tensor<R>;
}
