/**
 * The LLM text branch (docs/METHOD.md 3.3, paper eqs 6–7): z = Linear(h→C)(ReLU(Linear(768→h)(e))),
 * broadcast over the bottleneck grid and added as `x5 + β·z`. The knowledge vector e is a constant
 * of the model; z is therefore a learned, text-initialised bottleneck bias.
 */
import * as tf from "@tensorflow/tfjs";
import { Linear, type ParameterStore } from "./layers.ts";

export class TextBranch {
  readonly #fc1: Linear;
  readonly #fc2: Linear;
  readonly #knowledge: tf.Tensor2D;
  readonly #beta: number;

  /** `knowledge`: e `[knowledgeDim]`; `channels`: bottleneck channels (16·width). */
  constructor(
    store: ParameterStore,
    knowledge: Float32Array,
    hidden: number,
    channels: number,
    beta: number,
  ) {
    this.#fc1 = new Linear(store, "text.fc1", knowledge.length, hidden);
    this.#fc2 = new Linear(store, "text.fc2", hidden, channels);
    this.#knowledge = tf.tensor2d(knowledge, [1, knowledge.length]);
    this.#beta = beta;
  }

  /** Bottleneck `[N, x, y, z, C]` → `bottleneck + β·z` (z broadcast, docs/METHOD.md 3.1 "text" row). */
  apply(bottleneck: tf.Tensor5D): tf.Tensor5D {
    const z = this.#fc2.apply(tf.relu(this.#fc1.apply(this.#knowledge)));
    const channels = bottleneck.shape[4];
    return tf.add(bottleneck, tf.mul(tf.reshape(z, [1, 1, 1, 1, channels]), this.#beta));
  }

  dispose(): void {
    this.#knowledge.dispose();
  }
}
