import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Rng, UserError } from "@llmseg/shared";
import { createNetwork, NetworkConfigSchema } from "./network.ts";

await tf.setBackend("cpu");

Deno.test("V-Net at width 16 has docs/METHOD.md 3.1's 9,448,866 parameters and its 112x112x80 shapes", () => {
  const net = createNetwork(NetworkConfigSchema.parse({ arch: "vnet" }), 1);
  try {
    assert.equal(net.parameterCount(), 9_448_866);
    const rows = new Map(net.summary([112, 112, 80]).map((r) => [r.name, r.outputShape]));
    assert.deepEqual(rows.get("block_one"), [112, 112, 80, 16]);
    assert.deepEqual(rows.get("block_four_dw"), [7, 7, 5, 256]);
    assert.deepEqual(rows.get("block_five"), [7, 7, 5, 256]);
    assert.deepEqual(rows.get("block_five_up"), [14, 14, 10, 128]);
    assert.deepEqual(rows.get("block_nine"), [112, 112, 80, 16]);
    assert.deepEqual(rows.get("out_conv"), [112, 112, 80, 2]);
    assert.deepEqual(
      new Map(net.summary([96, 96, 96]).map((r) => [r.name, r.outputShape])).get(
        "block_five",
      ),
      [6, 6, 6, 256],
    );
    const encoder = net.summary([96, 96, 96]).filter((r) =>
      !/six|seven|eight|nine|up|out/.test(r.name)
    );
    assert.equal(encoder.reduce((s, r) => s + r.parameters, 0), 7_376_896);
  } finally {
    net.dispose();
  }
});

Deno.test("3D U-Net at width 16 has docs/METHOD.md 3.2's 5,884,050 parameters and its 96^3 shapes", () => {
  const net = createNetwork(NetworkConfigSchema.parse({ arch: "unet3d" }), 1);
  try {
    assert.equal(net.parameterCount(), 5_884_050);
    const rows = new Map(net.summary([96, 96, 96]).map((r) => [r.name, r.outputShape]));
    assert.deepEqual(rows.get("conv1"), [96, 96, 96, 16]);
    assert.deepEqual(rows.get("center"), [6, 6, 6, 256]);
    assert.deepEqual(rows.get("up_concat4"), [12, 12, 12, 128]);
    assert.deepEqual(rows.get("up_concat1"), [96, 96, 96, 16]);
    assert.deepEqual(rows.get("final"), [96, 96, 96, 2]);
  } finally {
    net.dispose();
  }
});

Deno.test("the text MLP adds 768·256 + 256 + 256·C + C parameters and changes the output", () => {
  const knowledge = Float32Array.from({ length: 768 }, (_, i) => Math.sin(i));
  const plain = createNetwork(NetworkConfigSchema.parse({ arch: "vnet", width: 2 }), 7);
  const text = createNetwork(
    NetworkConfigSchema.parse({ arch: "vnet", width: 2, beta: 0.5 }),
    7,
    knowledge,
  );
  try {
    assert.equal(text.parameterCount() - plain.parameterCount(), 768 * 256 + 256 + 256 * 32 + 32);
    const x = tf.randomNormal([1, 16, 16, 16, 1], 0, 1, "float32", 3) as tf.Tensor5D;
    const a = plain.apply(x, { training: false });
    const b = text.apply(x, { training: false });
    assert.deepEqual(b.shape, [1, 16, 16, 16, 2]);
    assert.ok(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] > 1e-6);
    tf.dispose([x, a, b]);
  } finally {
    plain.dispose();
    text.dispose();
  }
  assert.throws(
    () => createNetwork(NetworkConfigSchema.parse({ arch: "vnet", width: 2, beta: 1 }), 1),
    UserError,
  );
});

for (const arch of ["vnet", "unet3d"] as const) {
  Deno.test(`${arch}: same seed same weights, dropout deterministic under an Rng, off in eval`, () => {
    const config = NetworkConfigSchema.parse({ arch, width: 2, inChannels: 2, classes: 3 });
    const a = createNetwork(config, 11);
    const b = createNetwork(config, 11);
    try {
      const x = tf.randomNormal([2, 16, 16, 16, 2], 0, 1, "float32", 5) as tf.Tensor5D;
      const first = a.apply(x, { training: true, rng: new Rng(3) });
      const again = b.apply(x, { training: true, rng: new Rng(3) });
      const other = b.apply(x, { training: true, rng: new Rng(4) });
      assert.deepEqual(first.shape, [2, 16, 16, 16, 3]);
      assert.deepEqual(first.dataSync(), again.dataSync());
      assert.notDeepEqual(first.dataSync(), other.dataSync());
      const evalA = a.apply(x, { training: false });
      const evalB = a.apply(x, { training: false });
      assert.deepEqual(evalA.dataSync(), evalB.dataSync());
      assert.throws(() => a.apply(tf.zeros([1, 16, 16, 16, 1]), { training: false }), UserError);
      assert.throws(() => a.apply(tf.zeros([1, 16, 24, 16, 2]), { training: false }), UserError);
      tf.dispose([x, first, again, other, evalA, evalB]);
    } finally {
      a.dispose();
      b.dispose();
    }
  });
}

Deno.test("disposing a network frees every tensor and byte it allocated", () => {
  const before = tf.memory();
  const knowledge = new Float32Array(8).fill(1);
  for (const arch of ["vnet", "unet3d"] as const) {
    const config = NetworkConfigSchema.parse({ arch, width: 2, beta: 1, knowledgeDim: 8 });
    createNetwork(config, 1, knowledge).dispose();
  }
  assert.equal(tf.memory().numTensors, before.numTensors);
  assert.equal(tf.memory().numBytes, before.numBytes);
});

Deno.test("initialisation follows docs/METHOD.md 2.5: PyTorch uniform bounds (V-Net), Kaiming normal (U-Net)", () => {
  const maxAbs = (v: tf.Variable): number => tf.tidy(() => tf.max(tf.abs(v)).dataSync()[0]);
  const vnet = createNetwork(NetworkConfigSchema.parse({ arch: "vnet", width: 4 }), 1);
  const v = vnet.namedState();
  // Conv3d: U(±1/√(Cin·k³)); ConvTranspose3d: fan_in from weight dim 1 = Cout·k³; BN γ=1, β=0.
  for (
    const [name, fanIn] of [["block_four.conv.3.weight", 32 * 27], [
      "block_five_up.conv.0.weight",
      32 * 8,
    ]] as const
  ) {
    const bound = 1 / Math.sqrt(fanIn);
    assert.ok(maxAbs(v.get(name)!) <= bound && maxAbs(v.get(name)!) > 0.95 * bound, name);
  }
  assert.deepEqual(Array.from(v.get("block_one.conv.1.weight")!.dataSync()), [1, 1, 1, 1]);
  assert.deepEqual(Array.from(v.get("block_one.conv.1.running_var")!.dataSync()), [1, 1, 1, 1]);
  vnet.dispose();
  const unet = createNetwork(NetworkConfigSchema.parse({ arch: "unet3d", width: 4 }), 1);
  const weight = unet.namedState().get("center.conv2.0.weight")!; // fan_in 64·27
  const std = tf.tidy(() => Math.sqrt(tf.moments(weight).variance.dataSync()[0]));
  assert.ok(Math.abs(std / Math.sqrt(2 / (64 * 27)) - 1) < 0.02, `std ${std}`);
  unet.dispose();
});

for (const arch of ["vnet", "unet3d"] as const) {
  Deno.test(`${arch}: the forward frees its intermediates itself, block by block, and keeps the input`, () => {
    const net = createNetwork(NetworkConfigSchema.parse({ arch, width: 2 }), 1);
    const x = tf.randomNormal([1, 16, 16, 16, 1], 0, 1, "float32", 2) as tf.Tensor5D;
    const before = tf.memory().numTensors;
    // No enclosing tidy: whatever the forward does not free itself would still be counted here.
    const y = net.apply(x, { training: false });
    assert.equal(tf.memory().numTensors, before + 1);
    assert.ok(!x.isDisposed);
    tf.dispose([x, y]);
    net.dispose();
  });
}
