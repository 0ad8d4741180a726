/**
 * Frees each tape node's saved tensors and upstream gradients as soon as backprop has passed the
 * node (issue #13: tfjs keeps every saved activation and every intermediate gradient until the
 * whole backward pass ends, so a co-training step peaked at forward activations + all their
 * gradients, ~1.3 GB of tensors; PyTorch frees them as it goes). Values are unchanged: only the
 * moment of disposal moves.
 *
 * tfjs's backprop (`backpropagateGradients` in tfjs-core's tape.ts) walks the tape backward,
 * calling `node.gradient(dys)` and then each returned input-gradient thunk, before moving on to the
 * next node. So when the next node's gradient is called, the previous node is done: its saved
 * tensors (private clones, kept) are not read again, and the gradients of its outputs have no other
 * reader (every consumer of an output is later on the tape, so already processed), unless a thunk
 * returned one of them as its own result, which is then kept.
 */
import * as tf from "@tensorflow/tfjs";

type Thunks = Record<string, () => tf.Tensor>;
interface TapeNode {
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Thunks;
}
interface TapingEngine {
  addTapeNode(...args: unknown[]): void;
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
}

/** A node whose gradient thunks have run: what to free once backprop moves past it. */
interface Finished {
  saved: tf.Tensor[];
  dys: (tf.Tensor | null)[];
  produced: tf.Tensor[];
}

let installed = false;

/** Installs the early release on tfjs's engine (idempotent; any backend). */
export function releaseTapeEarly(): void {
  if (installed) return;
  installed = true;
  const engine = tf.engine() as unknown as TapingEngine;
  const addTapeNode = engine.addTapeNode.bind(engine);
  let previous: Finished | undefined;
  const release = (): void => {
    if (!previous) return;
    const { saved, dys, produced } = previous;
    previous = undefined;
    // Higher-order gradients read the tape again: keep everything then.
    if (engine.state.gradientDepth > 0) return;
    for (const t of saved) t.dispose();
    for (const dy of dys) if (dy && !produced.includes(dy)) dy.dispose();
  };
  engine.addTapeNode = (...args: unknown[]): void => {
    addTapeNode(...args);
    const node = engine.state.activeTape?.at(-1);
    const gradient = node?.gradient;
    if (!node || !gradient) return;
    node.gradient = (dys) => {
      release();
      const thunks = gradient(dys);
      const finished: Finished = { saved: node.saved ?? [], dys, produced: [] };
      previous = finished;
      return Object.fromEntries(
        Object.entries(thunks).map(([name, thunk]) => [name, () => {
          const dx = thunk();
          finished.produced.push(dx);
          return dx;
        }]),
      );
    };
  };
}
