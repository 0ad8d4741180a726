import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { cpuStore, cpuTensor } from "./cpu_backend.ts";
import { releaseDisposedArrays } from "./eager_release.ts";

await tf.setBackend("cpu");
assert.ok(releaseDisposedArrays(tf.backend()));

/** A detached typed array reports no elements. */
const released = (a: tf.backend_util.BackendValues) => (a as Float32Array).length === 0;

Deno.test("a kernel's output is released when its tensor is disposed", () => {
  const x = tf.fill([64, 64], 2);
  const y = tf.mul(x, 3);
  const store = cpuStore(y);
  assert.equal((store as Float32Array).length, 64 * 64);
  y.dispose();
  assert.ok(released(store));
  x.dispose();
});

Deno.test("a tidy's intermediates are released, its result is not", () => {
  const stores: tf.backend_util.BackendValues[] = [];
  const result = tf.tidy(() => {
    const a = tf.add(tf.ones([32, 32]), 1);
    stores.push(cpuStore(a));
    return tf.mul(a, a);
  });
  assert.ok(released(stores[0]));
  assert.deepEqual(result.dataSync().slice(0, 2), new Float32Array([4, 4]));
  result.dispose();
});

Deno.test("an array handed out by dataSync or data stays valid after dispose", async () => {
  const y = tf.mul(tf.ones([16, 16]), 5);
  const values = y.dataSync();
  y.dispose();
  assert.equal(values.length, 256);
  assert.equal(values[255], 5);
  const z = tf.add(tf.ones([16, 16]), 6);
  const read = await z.data();
  z.dispose();
  assert.equal(read[0], 7);
});

Deno.test("an array the caller gave tf.tensor is the caller's: never released", () => {
  const mine = new Float32Array(1024).fill(3);
  const t = tf.tensor(mine, [1024]);
  t.dispose();
  assert.equal(mine.length, 1024);
  assert.equal(mine[1023], 3);
});

Deno.test("a slice's view keeps its parent's array until both are gone", () => {
  const parent = tf.add(tf.zeros([8, 128]), tf.range(0, 128).reshape([1, 128]));
  const row = tf.slice(parent, [3, 0], [1, 128]); // contiguous: a view of parent's array
  const store = cpuStore(parent);
  parent.dispose();
  assert.ok(!released(store));
  assert.equal(cpuStore(row)[127], 127);
  row.dispose();
  assert.ok(released(store));
});

Deno.test("cpuTensor's array is released like a kernel output, and reads as given", () => {
  const values = Float32Array.from({ length: 300 }, (_, i) => i);
  const t = cpuTensor<tf.Rank.R2>(values, [3, 100]);
  assert.equal(t.shape.join(), "3,100");
  assert.equal(cpuStore(t)[299], 299);
  t.dispose();
  assert.ok(released(values));
});
