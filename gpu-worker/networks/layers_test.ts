import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Rng } from "@llmseg/shared";
import { BatchNorm3d, ParameterStore, UpConv3d, upsampleTrilinear2x } from "./layers.ts";
import { createNetwork, NetworkConfigSchema } from "./network.ts";

await tf.setBackend("cpu");

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/**
 * ConvTranspose3d k2 s2 by definition, as loops: out[n, 2i+a, 2j+b, 2k+c, o] = Σ_c x[n,i,j,k,c] ·
 * W[a,b,c,o,c] + bias[o]; with L = Σ out·r, dL/dx and dL/dW are the same sums taken the other way.
 */
function upConvByLoops(
  x: tf.Tensor5D,
  weight: tf.Tensor,
  r: tf.Tensor5D,
): { out: Float32Array; dx: Float32Array; dw: Float32Array } {
  const [n, sx, sy, sz, cin] = x.shape;
  const cout = weight.shape[3] as number;
  const xs = x.dataSync(), w = weight.dataSync(), rs = r.dataSync();
  const out = new Float32Array(r.size),
    dx = new Float32Array(x.size),
    dw = new Float32Array(w.length);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < sx * sy * sz; i++) {
      const [vi, vj, vk] = [Math.floor(i / (sy * sz)), Math.floor(i / sz) % sy, i % sz];
      for (let s = 0; s < 8; s++) {
        const [a, bb, c] = [s >> 2, (s >> 1) & 1, s & 1];
        const o0 = ((((b * 2 * sx + 2 * vi + a) * 2 * sy + 2 * vj + bb) * 2 * sz) + 2 * vk + c) *
          cout;
        for (let o = 0; o < cout; o++) {
          for (let ci = 0; ci < cin; ci++) {
            const xi = (b * sx * sy * sz + i) * cin + ci, wi = (s * cout + o) * cin + ci;
            out[o0 + o] += xs[xi] * w[wi];
            dx[xi] += rs[o0 + o] * w[wi];
            dw[wi] += rs[o0 + o] * xs[xi];
          }
        }
      }
    }
  }
  return { out, dx, dw };
}

function maxAbsDiffArrays(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

Deno.test("the up-conv (conv3dTranspose and its registered gradient) matches ConvTranspose3d's definition", () => {
  const store = new ParameterStore(new Rng(1));
  const up = new UpConv3d(store, "up", 3, 2);
  const x = tf.randomNormal([2, 3, 2, 4, 3], 0, 1, "float32", 1) as tf.Tensor5D;
  const r = tf.randomNormal([2, 6, 4, 8, 2], 0, 1, "float32", 2) as tf.Tensor5D;
  const expected = upConvByLoops(x, up.weight, r);
  const ours = up.apply(x, false);
  assert.deepEqual(ours.shape, [2, 6, 4, 8, 2]);
  assert.ok(maxAbsDiffArrays(ours.dataSync(), expected.out) < 1e-5);
  const loss = (input: tf.Tensor) =>
    tf.sum(tf.mul(up.apply(input as tf.Tensor5D, false), r)) as tf.Scalar;
  const dx = tf.grad(loss)(x);
  const { grads } = tf.variableGrads(() => loss(x), [up.weight]);
  assert.ok(maxAbsDiffArrays(dx.dataSync(), expected.dx) < 1e-5);
  assert.ok(maxAbsDiffArrays(grads[up.weight.name].dataSync(), expected.dw) < 1e-5);
  tf.dispose([x, r, ours, dx, ...Object.values(grads)]);
  store.dispose();
});

Deno.test("BatchNorm3d normalises with batch statistics and updates running stats as PyTorch", () => {
  const store = new ParameterStore(new Rng(1));
  const bn = new BatchNorm3d(store, "bn", 2);
  tf.tidy(() => {
    const x = tf.add(
      tf.mul(tf.randomNormal([2, 3, 3, 3, 2], 0, 1, "float32", 2), 3),
      1,
    ) as tf.Tensor5D;
    const y = bn.apply(x, true);
    const { mean, variance } = tf.moments(y, [0, 1, 2, 3]);
    assert.ok(tf.max(tf.abs(mean)).dataSync()[0] < 1e-5);
    assert.ok(tf.max(tf.abs(tf.sub(variance, 1))).dataSync()[0] < 1e-3);
    const stats = tf.moments(x, [0, 1, 2, 3]);
    const n = 2 * 27;
    const expectedVar = tf.add(0.9, tf.mul(stats.variance, (0.1 * n) / (n - 1)));
    assert.ok(maxAbsDiff(bn.runningMean, tf.mul(stats.mean, 0.1)) < 1e-6);
    assert.ok(maxAbsDiff(bn.runningVar, expectedVar) < 1e-5);
    const evalOut = bn.apply(x, false);
    const expectedEval = tf.div(tf.sub(x, bn.runningMean), tf.sqrt(tf.add(bn.runningVar, 1e-5)));
    assert.ok(maxAbsDiff(evalOut, expectedEval) < 1e-5);
  });
  store.dispose();
});

Deno.test("trilinear x2 matches align_corners=False interpolation by hand", () => {
  const x = tf.tensor5d([0, 1, 4], [1, 3, 1, 1, 1]);
  const y = upsampleTrilinear2x(x);
  assert.deepEqual(y.shape, [1, 6, 2, 2, 1]);
  // src = (o + 0.5)/2 − 0.5 clamped at 0: 0, 0.25, 0.75, 1.75, 3.25, 4 along axis 1.
  const along = tf.slice(y, [0, 0, 1, 0, 0], [1, 6, 1, 1, 1]).dataSync();
  assert.deepEqual(Array.from(along), [0, 0.25, 0.75, 1.75, 3.25, 4]);
});

for (const arch of ["vnet", "unet3d"] as const) {
  Deno.test(`${arch}: a training step has gradients for every trainable variable and leaks no tensors`, () => {
    const knowledge = new Float32Array(8).fill(0.5);
    const config = NetworkConfigSchema.parse({
      arch,
      width: 2,
      beta: 1,
      knowledgeDim: 8,
      textHidden: 4,
    });
    const net = createNetwork(config, 5, knowledge);
    const rng = new Rng(9);
    const x = tf.randomNormal([2, 16, 16, 16, 1], 0, 1, "float32", 4) as tf.Tensor5D;
    const optimizer = tf.train.sgd(0.01);
    const step = (): void => {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.mean(tf.square(net.apply(x, { training: true, rng }))) as tf.Scalar,
          net.trainableVariables,
        );
        assert.equal(Object.keys(grads).length, net.trainableVariables.length);
        for (const g of Object.values(grads)) assert.ok(Number.isFinite(tf.sum(g).dataSync()[0]));
        optimizer.applyGradients(grads);
        value.dispose();
      });
    };
    step();
    const before = tf.memory().numTensors;
    step();
    step();
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    optimizer.dispose();
    net.dispose();
  });
}
