import * as tf from "@tensorflow/tfjs";
import { SGD_MOMENTUM, type SgdMomentumAttrs } from "../engine/elementwise_kernels.ts";

/** Hyper-parameters of {@link Sgd}. */
export interface SgdOptions {
  momentum: number;
  weightDecay: number;
}

/**
 * PyTorch `optim.SGD` (no Nesterov, dampening 0), docs/METHOD.md 2.4: `g ← ∇w + wd·w`;
 * `buf ← μ·buf + g` (buf = g on the first step); `w ← w − lr·buf`. Weight decay applies to every
 * parameter, as in the lineage. The learning rate is passed per step (poly decay). Where the
 * backend has the engine's fused update kernel (the CPU engine), each parameter is updated in one
 * pass, with the same bits as the op-by-op update used elsewhere (WebGPU, tfjs-node-gpu).
 */
export class Sgd {
  readonly #variables: Map<string, tf.Variable>;
  readonly #options: SgdOptions;
  /** Momentum buffers by parameter name; absent until a parameter's first step. */
  readonly #buffers = new Map<string, tf.Variable>();

  /** @param variables the trainable parameters by name (e.g. a network's state-dict names). */
  constructor(variables: Map<string, tf.Variable>, options: SgdOptions) {
    this.#variables = variables;
    this.#options = options;
  }

  /** One update from gradients keyed by the variables' tfjs names (`tf.variableGrads` output). */
  step(grads: tf.NamedTensorMap, lr: number): void {
    const { momentum, weightDecay } = this.#options;
    const fused = momentum !== 0 && tf.getKernel(SGD_MOMENTUM, tf.getBackend()) !== undefined;
    tf.tidy(() => {
      for (const [name, variable] of this.#variables) {
        const grad = grads[variable.name];
        if (grad === undefined) continue;
        if (fused) {
          this.#fusedStep(name, variable, grad, lr);
          continue;
        }
        const g = weightDecay === 0 ? grad : tf.add(grad, tf.mul(variable, weightDecay));
        let direction = g;
        if (momentum !== 0) {
          const buffer = this.#buffers.get(name);
          if (buffer === undefined) this.#buffers.set(name, tf.variable(g, false));
          else buffer.assign(tf.add(tf.mul(buffer, momentum), g));
          direction = this.#buffers.get(name)!;
        }
        variable.assign(tf.sub(variable, tf.mul(direction, lr)));
      }
    });
  }

  /** One parameter's update by the fused kernel (inside the caller's tidy). */
  #fusedStep(name: string, variable: tf.Variable, grad: tf.Tensor, lr: number): void {
    const buffer = this.#buffers.get(name);
    const attrs: SgdMomentumAttrs = { lr, ...this.#options };
    const [next, nextBuffer] = tf.engine().runKernel(
      SGD_MOMENTUM,
      buffer ? { variable, grad, buffer } : { variable, grad },
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
    variable.assign(next);
    if (buffer) buffer.assign(nextBuffer);
    else this.#buffers.set(name, tf.variable(nextBuffer, false));
  }

  /** Momentum buffers by parameter name, for a checkpoint. */
  get buffers(): ReadonlyMap<string, tf.Variable> {
    return this.#buffers;
  }

  /** Restores buffers saved from {@link buffers}; unknown names or shapes are errors. */
  loadBuffers(saved: ReadonlyMap<string, tf.Tensor>): void {
    for (const [name, value] of saved) {
      const variable = this.#variables.get(name);
      if (!variable || variable.shape.join() !== value.shape.join()) {
        throw new Error(`optimiser state ${name} [${value.shape}] matches no parameter`);
      }
      this.#buffers.get(name)?.dispose();
      this.#buffers.set(name, tf.variable(value.clone(), false));
    }
  }

  dispose(): void {
    for (const buffer of this.#buffers.values()) buffer.dispose();
    this.#buffers.clear();
  }
}
