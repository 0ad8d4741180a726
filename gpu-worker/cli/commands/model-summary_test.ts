import assert from "node:assert/strict";
import { llmseg } from "../testing.ts";

Deno.test("model-summary --json reports docs/METHOD.md's parameter counts and bottleneck shapes", async () => {
  const vnet = JSON.parse((await llmseg("model-summary", "--arch", "vnet", "--json")).stdout);
  assert.equal(vnet.parameters, 9_448_866);
  assert.deepEqual(vnet.patch, [112, 112, 80]);
  const five = vnet.layers.find((l: { name: string }) => l.name === "block_five");
  assert.deepEqual(five.outputShape, [7, 7, 5, 256]);
  const unet = JSON.parse(
    (await llmseg("model-summary", "--arch", "unet3d", "--patch", "96,96,96", "--json")).stdout,
  );
  assert.equal(unet.parameters, 5_884_050);
  const center = unet.layers.find((l: { name: string }) => l.name === "center");
  assert.deepEqual(center.outputShape, [6, 6, 6, 256]);
  const text = JSON.parse(
    (await llmseg("model-summary", "--arch", "vnet", "--beta", "0.1", "--json")).stdout,
  );
  assert.equal(text.parameters, 9_448_866 + 768 * 256 + 256 + 256 * 256 + 256);
});

Deno.test("model-summary refuses a bad arch or patch with exit code 2 and a clear message", async () => {
  const arch = await llmseg("model-summary", "--arch", "resnet");
  assert.equal(arch.code, 2);
  assert.match(arch.stderr, /--arch must be vnet or unet3d, not 'resnet'/);
  const patch = await llmseg("model-summary", "--arch", "vnet", "--patch", "96,96,90");
  assert.equal(patch.code, 2);
  assert.match(patch.stderr, /--patch 96,96,90: every side must be divisible by 16/);
  const malformed = await llmseg("model-summary", "--arch", "vnet", "--patch", "96x96");
  assert.match(malformed.stderr, /--patch must be three positive integers X,Y,Z, not '96x96'/);
});

Deno.test("llmseg prints no tfjs Node.js banner", async () => {
  const run = await llmseg(
    "model-summary",
    "--arch",
    "vnet",
    "--patch",
    "16,16,16",
    "--width",
    "2",
  );
  assert.equal(run.code, 0);
  assert.doesNotMatch(run.stdout + run.stderr, /TensorFlow\.js in Node\.js/);
});
