/**
 * `deno task bench metrics [case.h5#label]`: times `evaluateMasks` (Dice, Jaccard, hd95, ASD) on a
 * full LA case against a perturbed copy of its label, next to the lineage's medpy code path
 * (scipy `binary_erosion` + `distance_transform_edt`, as UA-MT's `calculate_metric_percase` calls
 * it) run by /usr/bin/python3 on the same two masks, and checks both give the same numbers.
 */
import { evaluateMasks, type MaskMetrics, readVolume, type Volume } from "@llmseg/shared";
import { sharedData } from "../../shared/testing/data.ts";

const REPEATS = 5;

const casePath = Deno.args[1] ??
  (sharedData ? `${sharedData}/la2018/06SR5RBREL16DQ6M8LWS/mri_norm2.h5#label` : undefined);
if (!casePath) {
  console.error("usage: deno task bench metrics <case.h5#label> (../shared/data is absent)");
  Deno.exit(2);
}

/**
 * A plausible imperfect prediction: the label shifted by (2, 1, 0) voxels, with the voxels whose
 * neighbour along +i is background removed (a one-sided erosion), so both surfaces move.
 */
function perturb(label: Volume): Volume<Uint8Array> {
  const [X, Y, Z] = label.shape;
  const out = new Uint8Array(X * Y * Z);
  const at = (i: number, j: number, k: number) =>
    i >= 0 && j >= 0 && i < X && j < Y ? label.data[i + X * (j + Y * k)] !== 0 : false;
  for (let k = 0; k < Z; k++) {
    for (let j = 0; j < Y; j++) {
      for (let i = 0; i < X; i++) {
        out[i + X * (j + Y * k)] = at(i - 2, j - 1, k) && at(i - 1, j - 1, k) ? 1 : 0;
      }
    }
  }
  return { ...label, data: out };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const PYTHON_REFERENCE = `
import json, sys, time
import numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt, generate_binary_structure

def surface_distances(result, reference):  # medpy.metric.binary.__surface_distances
    footprint = generate_binary_structure(result.ndim, 1)
    result_border = result ^ binary_erosion(result, structure=footprint, iterations=1)
    reference_border = reference ^ binary_erosion(reference, structure=footprint, iterations=1)
    dt = distance_transform_edt(~reference_border, sampling=None)
    return dt[result_border]

def metrics(pred, gt):  # UA-MT calculate_metric_percase: medpy dc, jc, hd95, asd
    inter = np.count_nonzero(pred & gt)
    dc = 2.0 * inter / float(np.count_nonzero(pred) + np.count_nonzero(gt))
    jc = float(inter) / float(np.count_nonzero(pred | gt))
    hd95 = np.percentile(np.hstack((surface_distances(pred, gt), surface_distances(gt, pred))), 95)
    asd = surface_distances(pred, gt).mean()
    return dict(dice=dc, jaccard=jc, hd95=float(hd95), asd=float(asd))

folder, X, Y, Z, repeats = sys.argv[1], *map(int, sys.argv[2:6])
def load(name):  # raw bytes are i-fastest: read as (Z, Y, X), view as a[i, j, k], C-contiguous
    a = np.fromfile(f"{folder}/{name}", dtype=np.uint8).reshape(Z, Y, X).transpose(2, 1, 0)
    return np.ascontiguousarray(a).astype(bool)
pred, gt = load("pred.u8"), load("label.u8")
times = []
for _ in range(repeats):
    start = time.perf_counter()
    result = metrics(pred, gt)
    times.append(time.perf_counter() - start)
result["seconds"] = sorted(times)[len(times) // 2]
print(json.dumps(result))
`;

interface Reference extends MaskMetrics {
  seconds: number;
}

async function runReference(pred: Volume, label: Volume<Uint8Array>): Promise<Reference | string> {
  const folder = await Deno.makeTempDir({ prefix: "llmseg-bench-" });
  try {
    await Deno.writeFile(`${folder}/pred.u8`, pred.data as Uint8Array);
    await Deno.writeFile(`${folder}/label.u8`, label.data);
    const [X, Y, Z] = label.shape;
    const output = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", PYTHON_REFERENCE, folder, String(X), String(Y), String(Z), "3"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) return new TextDecoder().decode(output.stderr).trim();
    return JSON.parse(new TextDecoder().decode(output.stdout)) as Reference;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

const labelVolume = await readVolume(casePath);
const label: Volume<Uint8Array> = {
  ...labelVolume,
  data: Uint8Array.from(labelVolume.data, (x) => (x !== 0 ? 1 : 0)),
};
const pred = perturb(label);
evaluateMasks(pred, label); // warm-up: let the JIT compile the hot loops
const times: number[] = [];
let ours = evaluateMasks(pred, label) as MaskMetrics;
for (let r = 0; r < REPEATS; r++) {
  const start = performance.now();
  ours = evaluateMasks(pred, label) as MaskMetrics;
  times.push((performance.now() - start) / 1000);
}
const oursSeconds = median(times);

console.log(
  `case ${casePath}: ${label.shape.join("x")} voxels, prediction = label shifted (2,1,0) + eroded`,
);
const format = (m: MaskMetrics) =>
  `dice ${m.dice.toFixed(6)}  jaccard ${m.jaccard.toFixed(6)}  hd95 ${m.hd95.toFixed(6)}  asd ${
    m.asd.toFixed(6)
  }`;
console.log(
  `llmseg evaluateMasks   ${(oursSeconds * 1000).toFixed(1)} ms (median of ${REPEATS})  ${
    format(ours)
  }`,
);
const reference = await runReference(pred, label);
if (typeof reference === "string") {
  console.log(`scipy/medpy reference  unavailable: ${reference}`);
  Deno.exit(1);
}
console.log(
  `scipy/medpy reference  ${(reference.seconds * 1000).toFixed(1)} ms (median of 3)  ${
    format(reference)
  }`,
);
const differences = (["dice", "jaccard", "hd95", "asd"] as const).map((k) =>
  Math.abs(ours[k] - reference[k])
);
const largest = Math.max(...differences);
console.log(
  `speed-up ${
    (reference.seconds / oursSeconds).toFixed(1)
  }x; largest metric difference ${largest}` +
    (largest === 0 ? " (identical)" : ""),
);
if (largest > 1e-9) {
  console.error("the two implementations disagree beyond 1e-9");
  Deno.exit(1);
}
