import assert from "node:assert/strict";
import type { Affine, Volume } from "./volume.ts";
import { axisCodes, reorient } from "./orient.ts";

/** Voxel axes i→ -z (I), j→ +x (R), k→ -y (P), slightly oblique, anisotropic: "IRP". */
const scrambled: Affine = [
  [0.02, 0.9, 0.01, -50],
  [0.01, -0.03, -2.5, 30],
  [-1.2, 0.05, 0.02, 10],
  [0, 0, 0, 1],
];

function world(affine: Affine, v: number[]): number[] {
  return [0, 1, 2].map((r) =>
    affine[r][0] * v[0] + affine[r][1] * v[1] + affine[r][2] * v[2] + affine[r][3]
  );
}

function scrambledVolume(): Volume {
  const shape: [number, number, number] = [3, 4, 5];
  const data = new Float32Array(2 * 60).map((_, i) => i * 1.5 - 7);
  return { shape, channels: 2, data, spacing: [1.2, 0.9, 2.5], affine: scrambled };
}

Deno.test("axis codes follow nibabel's aff2axcodes", () => {
  assert.equal(axisCodes([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]), "RAS");
  assert.equal(axisCodes([[-1, 0, 0, 0], [0, -1, 0, 239], [0, 0, 1, 0], [0, 0, 0, 1]]), "LPS");
  assert.equal(axisCodes(scrambled), "IRP");
});

Deno.test("reorienting to RAS keeps every voxel at its world position", () => {
  const volume = scrambledVolume();
  const canonical = reorient(volume);
  assert.equal(axisCodes(canonical.affine), "RAS");
  assert.deepEqual(canonical.shape, [4, 5, 3]);
  assert.deepEqual(canonical.spacing, [0.9, 2.5, 1.2]);
  const [x, y, z] = canonical.shape;
  const seen = new Map<number, number[]>();
  for (let c = 0; c < 2; c++) {
    for (let k = 0; k < z; k++) {
      for (let j = 0; j < y; j++) {
        for (let i = 0; i < x; i++) {
          seen.set(
            canonical.data[c * 60 + i + j * x + k * x * y],
            world(canonical.affine, [i, j, k]),
          );
        }
      }
    }
  }
  for (let k = 0; k < 5; k++) {
    for (let j = 0; j < 4; j++) {
      for (let i = 0; i < 3; i++) {
        const value = volume.data[60 + i + j * 3 + k * 12];
        const expected = world(volume.affine, [i, j, k]);
        seen.get(value)!.forEach((w, axis) => assert.ok(Math.abs(w - expected[axis]) < 1e-9));
      }
    }
  }
});

Deno.test("reorienting back to the scan's own codes restores data and affine", () => {
  const volume = scrambledVolume();
  const back = reorient(reorient(volume, "LPS"), axisCodes(volume.affine));
  assert.deepEqual(back.shape, volume.shape);
  assert.deepEqual(back.data, volume.data);
  back.affine.flat().forEach((v, i) => assert.ok(Math.abs(v - volume.affine.flat()[i]) < 1e-12));
  assert.equal(reorient(reorient(volume), "IRP").data.length, volume.data.length);
  assert.throws(() => reorient(volume, "RAR"), /each of R\/L, A\/P, S\/I once/);
});
