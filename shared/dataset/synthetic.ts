/**
 * A small synthetic dataset in the nnU-Net layout: one ellipsoid "organ" per case at a varying
 * position and size, brighter than a noisy background. The smoke training preset, the README's
 * first command and the service/web tests use it when no real data is given.
 */
import { Rng } from "../random.ts";
import { writeFileAtomic } from "../write_atomic.ts";
import { spacingAffine, writeVolume } from "../volume/mod.ts";
import type { Volume } from "../volume/volume.ts";

type Shape3 = Volume["shape"];

export interface SyntheticDatasetOptions {
  /** Number of cases (each an image and a label). */
  cases: number;
  /** Grid size [X, Y, Z] of every case. */
  shape: Shape3;
  /** Seed of the `Rng` that places the organs and draws the noise. */
  seed: number;
}

/**
 * Writes `imagesTr/synth_NNN_0000.nii.gz` (float32, 1 mm), `labelsTr/synth_NNN.nii.gz` (uint8
 * {0, 1}) and `dataset.json` under `dir`; the same seed writes the same voxels.
 *
 * @returns the case ids written.
 * @example
 * ```ts ignore
 * await writeSyntheticDataset("/tmp/synth", { cases: 4, shape: [32, 32, 24], seed: 1 });
 * ```
 */
export async function writeSyntheticDataset(
  dir: string,
  options: SyntheticDatasetOptions,
): Promise<string[]> {
  const { cases, shape, seed } = options;
  if (!Number.isInteger(cases) || cases < 1) {
    throw new RangeError(`cases must be ≥ 1, got ${cases}`);
  }
  if (shape.some((n) => !Number.isInteger(n) || n < 4)) {
    throw new RangeError(`every dimension must be an integer ≥ 4, got ${shape.join("x")}`);
  }
  await Deno.mkdir(`${dir}/imagesTr`, { recursive: true });
  await Deno.mkdir(`${dir}/labelsTr`, { recursive: true });
  const rng = new Rng(seed);
  const ids: string[] = [];
  for (let n = 0; n < cases; n++) {
    const id = `synth_${String(n).padStart(3, "0")}`;
    const { image, label } = syntheticCase(rng, shape);
    await writeVolume(`${dir}/imagesTr/${id}_0000.nii.gz`, image);
    await writeVolume(`${dir}/labelsTr/${id}.nii.gz`, label);
    ids.push(id);
  }
  const datasetJson = {
    name: "synthetic",
    description: `ellipsoids in noise, ${shape.join("x")}, seed ${seed}`,
    channel_names: { "0": "synthetic" },
    labels: { background: 0, organ: 1 },
    numTraining: cases,
    file_ending: ".nii.gz",
  };
  await writeFileAtomic(`${dir}/dataset.json`, JSON.stringify(datasetJson, null, 2) + "\n");
  return ids;
}

/** One case: an axis-aligned ellipsoid, radii 15-30 % of the grid, fully inside it. */
function syntheticCase(rng: Rng, shape: Shape3): { image: Volume; label: Volume } {
  const [X, Y, Z] = shape;
  const radii = shape.map((n) => rng.uniformIn(0.15, 0.3) * n);
  const centre = shape.map((n, axis) => rng.uniformIn(radii[axis] + 1, n - 1 - radii[axis]));
  const contrast = rng.uniformIn(1, 2);
  const image = new Float32Array(X * Y * Z);
  const label = new Uint8Array(X * Y * Z);
  for (let k = 0, v = 0; k < Z; k++) {
    for (let j = 0; j < Y; j++) {
      for (let i = 0; i < X; i++, v++) {
        const r = ((i - centre[0]) / radii[0]) ** 2 + ((j - centre[1]) / radii[1]) ** 2 +
          ((k - centre[2]) / radii[2]) ** 2;
        label[v] = r <= 1 ? 1 : 0;
        image[v] = contrast * label[v] + 0.5 * rng.normal();
      }
    }
  }
  const geometry = {
    shape,
    channels: 1,
    spacing: [1, 1, 1] as Shape3,
    affine: spacingAffine([1, 1, 1]),
  };
  return { image: { ...geometry, data: image }, label: { ...geometry, data: label } };
}
