import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "@llmseg/shared";
import type { Volume } from "../../shared/volume/volume.ts";
import {
  applyCutMix,
  cropPadding,
  cutMixMask,
  drawCutMix,
  flip,
  identityMap,
  materialize,
  randomCrop,
  randomCropMap,
  randomRotFlip,
  randomRotFlipMap,
  rot90,
  type Sample,
  sampleFromVolumes,
  type Shape3,
  toVolumeLayout,
  TwoStreamSampler,
  uniformNoise,
  withLabelledPartners,
} from "./mod.ts";

await tf.setBackend("cpu");

/** A sample whose image value at each voxel is its row-major index and whose label is index % 3. */
function indexedSample(shape: Shape3): Sample {
  const n = shape[0] * shape[1] * shape[2];
  return {
    shape,
    channels: 1,
    image: Float32Array.from({ length: n }, (_, i) => i + 1),
    label: Uint8Array.from({ length: n }, (_, i) => (i + 1) % 3),
  };
}

Deno.test("rot90 matches numpy's np.rot90 on the 2-D example and four turns are the identity", () => {
  // np.rot90([[1, 2], [3, 4]]) == [[2, 4], [1, 3]]; as [X=2, Y=2, Z=1].
  const m: Sample = { shape: [2, 2, 1], channels: 1, image: Float32Array.of(1, 2, 3, 4) };
  assert.deepEqual(Array.from(rot90(m, 1).image), [2, 4, 1, 3]);
  const s = indexedSample([2, 3, 2]);
  assert.deepEqual(rot90(s, 1).shape, [3, 2, 2]);
  assert.deepEqual(rot90(s, 4), s);
  assert.deepEqual(flip(flip(s, 2), 2), s);
  assert.deepEqual(Array.from(flip(m, 0).image), [3, 4, 1, 2]);
});

Deno.test("randomRotFlip keeps image and label aligned and is seeded", () => {
  const s = indexedSample([4, 4, 3]);
  const a = randomRotFlip(s, new Rng(5)), b = randomRotFlip(s, new Rng(5));
  assert.deepEqual(a, b);
  a.image.forEach((v, i) => assert.equal(a.label![i], v % 3));
  assert.deepEqual([...a.image].sort((x, y) => x - y), [...s.image]);
});

Deno.test("randomCrop pads like the lineage and keeps image and label aligned", () => {
  assert.deepEqual(cropPadding([4, 20, 20], [16, 16, 16]), [9, 1, 1]);
  assert.deepEqual(cropPadding([20, 20, 20], [16, 16, 16]), [0, 0, 0]);
  const s = indexedSample([4, 20, 18]);
  const rng = new Rng(1);
  for (let t = 0; t < 20; t++) {
    const crop = randomCrop(s, [16, 16, 16], rng);
    assert.deepEqual(crop.shape, [16, 16, 16]);
    let inside = 0;
    crop.image.forEach((v, i) => {
      if (v === 0) assert.equal(crop.label![i], 0);
      else {
        inside++;
        assert.equal(crop.label![i], v % 3);
      }
    });
    assert.ok(inside > 0 && inside <= 4 * 16 * 16, `${inside} voxels from the volume`);
  }
});

Deno.test("CutMix: 2/3 boxes, swap partners, and mixing commutes with argmax", () => {
  const patch: Shape3 = [16, 16, 16];
  const boxes = drawCutMix(2, patch, new Rng(3));
  assert.deepEqual(boxes.size, [10, 10, 10]);
  assert.deepEqual(boxes.partner, [1, 0]);
  const mask = cutMixMask(boxes, patch);
  assert.equal(mask.sum().dataSync()[0], 2 * 1000);
  const rng = new Rng(4);
  const probs = tf.softmax(
    tf.tensor(Array.from({ length: 2 * 4096 * 2 }, () => rng.normal()), [2, 16, 16, 16, 2]),
  );
  const mixedThenArgmax = tf.argMax(applyCutMix(probs, mask, boxes.partner), -1);
  const argmaxThenMixed = applyCutMix(
    tf.argMax(probs, -1).expandDims(-1).toFloat(),
    mask,
    boxes.partner,
  );
  assert.deepEqual(Array.from(mixedThenArgmax.dataSync()), Array.from(argmaxThenMixed.dataSync()));
  const [x0, y0, z0] = boxes.corners[0];
  const inBox = probs.slice([1, x0, y0, z0, 0], [1, 1, 1, 1, 2]).dataSync();
  const mixed = applyCutMix(probs, mask, boxes.partner).slice([0, x0, y0, z0, 0], [1, 1, 1, 1, 2]);
  assert.deepEqual(Array.from(mixed.dataSync()), Array.from(inBox));
});

Deno.test("CutMix with labelled partners: sample i takes labelled i, in its box then around it", () => {
  const patch: Shape3 = [16, 16, 16];
  const boxes = withLabelledPartners(drawCutMix(3, patch, new Rng(5)), 2);
  assert.deepEqual(boxes.partner, [0, 1, 0]);
  const mask = cutMixMask(boxes, patch);
  assert.deepEqual(Array.from(mask.sum([1, 2, 3, 4]).dataSync()), [1000, 4096 - 1000, 1000]);
  const unlabelled = tf.fill([3, 16, 16, 16, 1], 0);
  const labelled = tf.tensor([1, 2]).reshape([2, 1, 1, 1, 1]).tile([1, 16, 16, 16, 1]);
  const mixed = applyCutMix(unlabelled, mask, boxes.partner, labelled);
  // Each sample holds its partner's value exactly where its mask is 1, its own elsewhere.
  const expected = mask.mul(tf.tensor([1, 2, 1]).reshape([3, 1, 1, 1, 1]));
  assert.deepEqual(Array.from(mixed.dataSync()), Array.from(expected.dataSync()));
});

Deno.test("TwoStreamSampler: labelled first, epochs cover the labelled set, state resumes exactly", () => {
  const sampler = new TwoStreamSampler(5, 7, 2, 2);
  const rng = new Rng(9);
  const first = sampler.next(rng), second = sampler.next(rng);
  assert.equal(new Set([...first.labeled, ...second.labeled]).size, 4);
  assert.ok([...first.unlabeled, ...second.unlabeled].every((i) => i >= 0 && i < 7));
  const saved = sampler.state, savedRng = rng.state;
  const continued = Array.from({ length: 6 }, () => sampler.next(rng));
  const resumed = new TwoStreamSampler(5, 7, 2, 2, saved);
  const rng2 = Rng.fromState(savedRng);
  assert.deepEqual(Array.from({ length: 6 }, () => resumed.next(rng2)), continued);
  assert.throws(() => new TwoStreamSampler(1, 7, 2, 2), RangeError);
});

Deno.test("uniformNoise stays in (−a, a) and is centred", () => {
  const noise = uniformNoise(20000, 0.2, new Rng(2));
  assert.ok(noise.every((v) => v >= -0.2 && v < 0.2));
  assert.ok(Math.abs(noise.reduce((s, v) => s + v, 0) / noise.length) < 0.01);
});

Deno.test("sampleFromVolumes transposes i-fastest volumes and toVolumeLayout inverts it", () => {
  const shape: Shape3 = [3, 4, 2];
  const data = Float32Array.from({ length: 24 }, (_, i) => i);
  const volume: Volume = {
    shape,
    channels: 1,
    data,
    spacing: [1, 1, 1],
    affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
  };
  const sample = sampleFromVolumes(volume, {
    ...volume,
    data: Uint8Array.from(data, (v) => v % 2),
  });
  // voxel (i=2, j=1, k=1) is data[2 + 1·3 + 1·12] = 17, at row-major ((2·4 + 1)·2 + 1) = 19.
  assert.equal(sample.image[19], 17);
  assert.equal(sample.label![19], 1);
  const back = new Float32Array(24);
  toVolumeLayout(sample.image, shape, 1, back);
  assert.deepEqual(back, data);
});

Deno.test("composed maps equal the transforms applied one after another", () => {
  const s = indexedSample([7, 9, 5]);
  for (let seed = 0; seed < 12; seed++) {
    const a = randomCrop(
      randomRotFlip(s, new Rng(seed)),
      [8, 6, 8],
      Rng.fromState(stateAfter(seed, 2)),
    );
    const rng = new Rng(seed);
    const b = materialize(
      s,
      randomCropMap(randomRotFlipMap(identityMap(s.shape), rng), [8, 6, 8], rng),
    );
    assert.deepEqual(b, a);
  }
});

/** The state of `new Rng(seed)` after `draws` draws. */
function stateAfter(seed: number, draws: number): number[] {
  const rng = new Rng(seed);
  for (let i = 0; i < draws; i++) rng.nextUint32();
  return rng.state;
}
