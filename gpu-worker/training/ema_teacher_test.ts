import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "@llmseg/shared";
import { createNetwork, NetworkConfigSchema } from "../networks/mod.ts";
import { EmaTeacher } from "./ema_teacher.ts";

await tf.setBackend("cpu");

const config = NetworkConfigSchema.parse({ arch: "vnet", width: 2, beta: 0 });

/** Every state tensor's values, by name. */
const values = (net: { namedState(): Map<string, tf.Variable> }) =>
  new Map([...net.namedState()].map(([name, v]) => [name, v.dataSync().slice()]));

/** Moves every state tensor of `net` by seeded noise (a stand-in for SGD steps). */
function perturb(net: { namedState(): Map<string, tf.Variable> }, seed: number): void {
  const rng = new Rng(seed);
  for (const v of net.namedState().values()) {
    v.assign(tf.add(v, tf.tensor(Array.from({ length: v.size }, () => rng.normal()), v.shape)));
  }
}

Deno.test("EMA teacher: built from the student's seed it starts as its copy and predicts as it does in eval mode", () => {
  const student = createNetwork(config, 7);
  const teacher = new EmaTeacher(createNetwork(config, 7), 0.99);
  assert.deepEqual(values(teacher.network), values(student));
  const x = tf.randomNormal([1, 16, 16, 16, 1], 0, 1, "float32", 3) as tf.Tensor5D;
  const expected = tf.softmax(student.apply(x, { training: false })).dataSync();
  const p = teacher.predict(x);
  assert.deepEqual(p.shape, [1, 16, 16, 16, 2]);
  assert.deepEqual(p.dataSync(), expected);
  student.dispose();
  teacher.network.dispose();
});

Deno.test("EMA teacher: follows with α = min(1 − 1/(it + 1), decay), running statistics included", () => {
  const student = createNetwork(config, 7);
  const teacher = new EmaTeacher(createNetwork(config, 7), 0.9);
  perturb(student, 1);
  // Step 0: α 0, the teacher becomes the student.
  teacher.follow(student, 0);
  assert.deepEqual(values(teacher.network), values(student));
  const check = (it: number, alpha: number) => {
    const before = values(teacher.network);
    perturb(student, it + 2);
    const now = values(student);
    teacher.follow(student, it);
    const after = values(teacher.network);
    assert.ok([...after.keys()].some((name) => name.includes("running_mean")));
    for (const [name, v] of after) {
      const old = before.get(name)!, s = now.get(name)!;
      v.forEach((t, i) => {
        const want = alpha * old[i] + (1 - alpha) * s[i];
        assert.ok(
          Math.abs(t - want) <= 1e-5 * (1 + Math.abs(want)),
          `${name}[${i}] ${t} vs ${want}`,
        );
      });
    }
  };
  check(3, 0.75); // the warm-up: 1 − 1/4 < 0.9
  check(100, 0.9); // the decay once the warm-up passes it
  student.dispose();
  teacher.network.dispose();
});
