/**
 * Building blocks shared by the V-Net and the 3D U-Net, in NDHWC layout `[N, X, Y, Z, C]`.
 *
 * Two tfjs-core defects shape this file (COMPUTE.md 1): `conv3dTranspose` has no gradient (one is
 * registered in conv3d_transpose_grad.ts); `batchNorm` has a broken gradient on 5-D input, so
 * batch norm is written from `tf.moments`.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "@llmseg/shared";
import {
  canFuseBatchNorm,
  channelMoments,
  fusedBatchNormRelu,
  inverseStd,
} from "../engine/batch_norm_relu.ts";
import { cpuStore } from "../engine/cpu_backend.ts";
import { fastKernelsRegistered } from "../engine/register.ts";
import "./conv3d_transpose_grad.ts";

/** Named variables of one network, in creation order (PyTorch state-dict names). */
export class ParameterStore {
  readonly variables: Map<string, tf.Variable> = new Map();
  /** Draws initial values; one generator per network so A and B differ (docs/METHOD.md 2.5). */
  readonly rng: Rng;

  constructor(rng: Rng) {
    this.rng = rng;
  }

  /** Registers a variable; `trainable` false for BN running statistics. */
  add(name: string, shape: number[], values: Float32Array, trainable = true): tf.Variable {
    if (this.variables.has(name)) throw new Error(`duplicate parameter name ${name}`);
    const initial = tf.tensor(values, shape, "float32");
    const variable = tf.variable(initial, trainable);
    initial.dispose(); // the variable holds its own reference to the data
    this.variables.set(name, variable);
    return variable;
  }

  /** U(−bound, bound), PyTorch's default for conv/linear weights and biases. */
  uniform(size: number, bound: number): Float32Array {
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = this.rng.uniformIn(-bound, bound);
    return values;
  }

  /** N(0, std²), for Kaiming-normal initialisation. */
  normal(size: number, std: number): Float32Array {
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = std * this.rng.normal();
    return values;
  }

  get trainable(): tf.Variable[] {
    return [...this.variables.values()].filter((v) => v.trainable);
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }
}

/**
 * `f(x)` in its own `tf.tidy`, then `x` freed unless `keepInput` (the network's input, a skip
 * still to be used): without gradients only a few activations are then alive at a time, as under
 * PyTorch's `no_grad`, instead of all of a forward's until the caller's tidy ends (issue #4:
 * sliding-window memory). Under a gradient tape nothing changes: tfjs keeps its own clones of what
 * the backward needs.
 */
export function tidyStep(
  x: tf.Tensor5D,
  f: (x: tf.Tensor5D) => tf.Tensor5D,
  keepInput = false,
): tf.Tensor5D {
  const y = tf.tidy(() => f(x));
  if (!keepInput && y !== x) x.dispose();
  return y;
}

/** How conv weights are initialised (docs/METHOD.md 2.5). */
export type ConvInit = "torch-default" | "kaiming-normal";

/** Conv3d with bias; weight `[k, k, k, Cin, Cout]`. k3 uses padding 1 ('same'), k2 s2 / k1 none. */
export class Conv3d {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly stride: number;

  constructor(
    store: ParameterStore,
    name: string,
    inChannels: number,
    outChannels: number,
    kernel: 1 | 2 | 3,
    stride: 1 | 2 = 1,
    init: ConvInit = "torch-default",
  ) {
    const fanIn = inChannels * kernel ** 3;
    const size = fanIn * outChannels;
    const bound = 1 / Math.sqrt(fanIn);
    // Draw in PyTorch's [Cout, Cin, k, k, k] order, then store transposed, so a seed means the same.
    const torchOrder = init === "kaiming-normal"
      ? store.normal(size, Math.sqrt(2 / fanIn))
      : store.uniform(size, bound);
    this.weight = store.add(
      `${name}.weight`,
      [kernel, kernel, kernel, inChannels, outChannels],
      torchConvToTfjs(torchOrder, outChannels, inChannels, kernel),
    );
    this.bias = store.add(`${name}.bias`, [outChannels], store.uniform(outChannels, bound));
    this.stride = stride;
  }

  /**
   * `[N, X, Y, Z, Cin]` → `[N, X/stride, Y/stride, Z/stride, Cout]`; without `addBias` the caller
   * adds `bias` (a following {@link BatchNorm3d.apply} takes it).
   */
  apply(x: tf.Tensor5D, addBias = true): tf.Tensor5D {
    const kernel = this.weight.shape[0];
    const pad = kernel === 3 ? "same" : "valid";
    const y = tf.conv3d(x, this.weight as tf.Tensor5D, this.stride, pad);
    return addBias ? tf.add(y, this.bias) : y;
  }
}

/**
 * ConvTranspose3d k2 s2 (`tf.conv3dTranspose`; its missing gradient is registered by
 * conv3d_transpose_grad.ts). Weight `[2, 2, 2, Cout, Cin]` (tfjs's conv3dTranspose filter layout);
 * PyTorch default init with fan_in from weight dim 1 (= Cout·8, docs/METHOD.md 2.5).
 */
export class UpConv3d {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(store: ParameterStore, name: string, inChannels: number, outChannels: number) {
    const bound = 1 / Math.sqrt(outChannels * 8);
    const torchOrder = store.uniform(inChannels * outChannels * 8, bound);
    this.weight = store.add(
      `${name}.weight`,
      [2, 2, 2, outChannels, inChannels],
      torchDeconvToTfjs(torchOrder, inChannels, outChannels),
    );
    this.bias = store.add(`${name}.bias`, [outChannels], store.uniform(outChannels, bound));
  }

  /** `[N, X, Y, Z, Cin]` → `[N, 2X, 2Y, 2Z, Cout]`; `addBias` as {@link Conv3d.apply}'s. */
  apply(x: tf.Tensor5D, addBias = true): tf.Tensor5D {
    const [n, sx, sy, sz] = x.shape;
    const cout = this.bias.shape[0] as number;
    const y = tf.conv3dTranspose(
      x,
      this.weight as tf.Tensor5D,
      [n, 2 * sx, 2 * sy, 2 * sz, cout],
      2,
      "valid",
    );
    return addBias ? tf.add(y, this.bias) : y;
  }
}

/**
 * BatchNorm3d from moments (tfjs's 5-D batchNorm gradient is broken). γ=1, β=0, eps 1e-5,
 * momentum 0.1; running variance updated with the unbiased batch variance, as PyTorch.
 */
export class BatchNorm3d {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;

  constructor(store: ParameterStore, name: string, channels: number) {
    this.weight = store.add(`${name}.weight`, [channels], new Float32Array(channels).fill(1));
    this.bias = store.add(`${name}.bias`, [channels], new Float32Array(channels));
    this.runningMean = store.add(
      `${name}.running_mean`,
      [channels],
      new Float32Array(channels),
      false,
    );
    this.runningVar = store.add(
      `${name}.running_var`,
      [channels],
      new Float32Array(channels).fill(1),
      false,
    );
  }

  /**
   * `[N, X, Y, Z, C]` → same shape, followed by ReLU when `relu` (the V-Net's Conv → BN → ReLU);
   * `convBias`, when given, is added to x first (the preceding conv's, which left it out).
   * Training: batch statistics + running-statistics update. On the cpu backend it runs fused
   * (`fusedBatchNormRelu`, issue #4: the bias-added x is then never a tensor); elsewhere as tf ops.
   */
  apply(x: tf.Tensor5D, training: boolean, relu = false, convBias?: tf.Tensor1D): tf.Tensor5D {
    return canFuseBatchNorm(x)
      ? this.#applyFused(x, training, relu, convBias)
      : this.applyComposed(x, training, relu, convBias);
  }

  /** The tf-op composition: any backend, and the reference the fused op is tested against. */
  applyComposed(
    xIn: tf.Tensor5D,
    training: boolean,
    relu = false,
    convBias?: tf.Tensor1D,
  ): tf.Tensor5D {
    const x: tf.Tensor5D = convBias ? tf.add(xIn, convBias) : xIn;
    let mean: tf.Tensor = this.runningMean;
    let variance: tf.Tensor = this.runningVar;
    if (training) {
      const moments = tf.moments(x, [0, 1, 2, 3]);
      mean = moments.mean;
      variance = moments.variance;
      this.#updateRunningStats(moments.mean, moments.variance, x.size / x.shape[4]);
    }
    const normalized = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
    const y = tf.add(tf.mul(normalized, this.weight), this.bias) as tf.Tensor5D;
    return relu ? tf.relu(y) : y;
  }

  #applyFused(
    x: tf.Tensor5D,
    training: boolean,
    relu: boolean,
    convBias: tf.Tensor1D | undefined,
  ): tf.Tensor5D {
    const channels = x.shape[4];
    // Batch statistics rounded as tf.moments on the registered kernels would round them.
    const rounding = fastKernelsRegistered() ? "sum-then-scale" : "divide-then-sum";
    const biasValues = convBias && cpuStore(convBias);
    const { mean, variance } = training
      ? channelMoments(cpuStore(x), biasValues, channels, rounding)
      : {
        mean: (this.runningMean.dataSync() as Float32Array).slice(),
        variance: (this.runningVar.dataSync() as Float32Array).slice(),
      };
    const stats = { mean, invStd: inverseStd(variance, 1e-5), fromBatch: training };
    if (training) {
      tf.tidy(() =>
        this.#updateRunningStats(tf.tensor1d(mean), tf.tensor1d(variance), x.size / channels)
      );
    }
    return fusedBatchNormRelu(
      x,
      this.weight as tf.Tensor1D,
      this.bias as tf.Tensor1D,
      stats,
      relu,
      convBias,
    );
  }

  /** PyTorch's update: momentum 0.1, running variance from the unbiased batch variance. */
  #updateRunningStats(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    tf.tidy(() => {
      const unbiased = tf.mul(variance, count / Math.max(count - 1, 1));
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 0.9), tf.mul(mean, 0.1)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 0.9), tf.mul(unbiased, 0.1)));
    });
  }
}

/** InstanceNorm3d (affine False, no running statistics, eps 1e-5): per sample and channel. */
export function instanceNorm(x: tf.Tensor5D): tf.Tensor5D {
  const { mean, variance } = tf.moments(x, [1, 2, 3], true);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
}

/** Linear with PyTorch default init; weight `[in, out]`. */
export class Linear {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(store: ParameterStore, name: string, inFeatures: number, outFeatures: number) {
    const bound = 1 / Math.sqrt(inFeatures);
    const torchOrder = store.uniform(inFeatures * outFeatures, bound);
    this.weight = store.add(
      `${name}.weight`,
      [inFeatures, outFeatures],
      transpose2d(torchOrder, outFeatures, inFeatures),
    );
    this.bias = store.add(`${name}.bias`, [outFeatures], store.uniform(outFeatures, bound));
  }

  /** `[B, in]` → `[B, out]`. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.weight as tf.Tensor2D), this.bias);
  }
}

/**
 * Dropout in training mode, masks drawn from a tfjs generator seeded by `rng` (deterministic).
 * `channelwise` = Dropout3d (whole channels per sample), else element-wise. Survivors × 1/(1−p).
 */
export function dropout(x: tf.Tensor5D, p: number, rng: Rng, channelwise: boolean): tf.Tensor5D {
  const [n, , , , c] = x.shape;
  const maskShape = channelwise ? [n, 1, 1, 1, c] : x.shape;
  const keep = tf.cast(
    tf.greaterEqual(tf.randomUniform(maskShape, 0, 1, "float32", rng.nextUint32()), p),
    "float32",
  );
  return tf.mul(x, tf.mul(keep, 1 / (1 - p)));
}

/**
 * Trilinear ×2 upsampling with align_corners False (PyTorch `nn.Upsample(scale_factor=2,
 * mode='trilinear')`): along each axis, output 2k = ¾x[k] + ¼x[k−1], output 2k+1 = ¾x[k] +
 * ¼x[k+1], indices clamped at the edges. `[N, X, Y, Z, C]` → `[N, 2X, 2Y, 2Z, C]`.
 */
export function upsampleTrilinear2x(x: tf.Tensor5D): tf.Tensor5D {
  let y: tf.Tensor = x;
  for (const axis of [1, 2, 3]) y = upsampleAxis2x(y, axis);
  return y as tf.Tensor5D;
}

function upsampleAxis2x(x: tf.Tensor, axis: number): tf.Tensor {
  const n = x.shape[axis];
  // Neighbours by gather, not slice: slice's gradient (pad) is wrong for 5-D input on WebGPU.
  const neighbour = (offset: number): tf.Tensor => {
    const indices = Array.from({ length: n }, (_, k) => Math.min(Math.max(k + offset, 0), n - 1));
    return tf.gather(x, tf.tensor1d(indices, "int32"), axis);
  };
  const even = tf.add(tf.mul(x, 0.75), tf.mul(neighbour(-1), 0.25));
  const odd = tf.add(tf.mul(x, 0.75), tf.mul(neighbour(1), 0.25));
  const shape = [...x.shape];
  shape[axis] *= 2;
  return tf.reshape(tf.stack([even, odd], axis + 1), shape);
}

/** PyTorch conv weight `[Cout, Cin, k, k, k]` (flat) → tfjs `[k, k, k, Cin, Cout]` (flat). */
export function torchConvToTfjs(
  values: Float32Array,
  outChannels: number,
  inChannels: number,
  kernel: number,
): Float32Array {
  const k3 = kernel ** 3;
  const out = new Float32Array(values.length);
  for (let o = 0; o < outChannels; o++) {
    for (let i = 0; i < inChannels; i++) {
      for (let s = 0; s < k3; s++) {
        out[(s * inChannels + i) * outChannels + o] = values[(o * inChannels + i) * k3 + s];
      }
    }
  }
  return out;
}

/** PyTorch ConvTranspose3d weight `[Cin, Cout, 2, 2, 2]` (flat) → tfjs `[2, 2, 2, Cout, Cin]`. */
export function torchDeconvToTfjs(
  values: Float32Array,
  inChannels: number,
  outChannels: number,
): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < inChannels; i++) {
    for (let o = 0; o < outChannels; o++) {
      for (let s = 0; s < 8; s++) {
        out[(s * outChannels + o) * inChannels + i] = values[(i * outChannels + o) * 8 + s];
      }
    }
  }
  return out;
}

/** Row-major `[rows, cols]` → `[cols, rows]` (PyTorch Linear `[out, in]` → tfjs `[in, out]`). */
export function transpose2d(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  }
  return out;
}
