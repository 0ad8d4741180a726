/**
 * `llmseg infer`: segments one scan, or every scan of a folder, with a model folder (sliding
 * window, docs/METHOD.md 6), resampled to the model's training spacing and back, and writes the
 * mask, optionally the foreground probability and the A/B disagreement maps, in the input's
 * geometry. Multi-channel scans come as nnU-Net's per-channel files (`_0000`, `_0001`, …).
 */
import { basename, join } from "node:path";
import { UserError } from "@llmseg/shared";
import { listImageFolder, readChannels } from "../../../shared/dataset/mod.ts";
import { writeVolume } from "../../../shared/volume/mod.ts";
import { loadModelFolder } from "../../checkpoint/model_folder.ts";
import { initEngine } from "../../engine/mod.ts";
import { EvaluatedNetwork } from "../../../shared/contracts/inference.ts";
import { type InferOptions, inferVolume } from "../../inferers/mod.ts";
import {
  type Command,
  parseChoice,
  parseOptions,
  parseTriple,
  rejectPositionals,
  required,
} from "../command.ts";

const usage = `usage: llmseg infer --model <model-dir> --input <volume> [--input <volume> …]
                    --output <mask.nii.gz> [--probabilities <file>] [--uncertainty <file>]
       llmseg infer --model <model-dir> -i <scan-folder> -o <mask-folder>
                    [--patch X,Y,Z] [--stride X,Y,Z] [--network a|b|average]
                    [--largest-component] [--tta]

A model that records its training spacing (model.json "dataset") gets each scan resampled to it
and the class probabilities resampled back before the argmax, as nnU-Net does; an input unlike the
training data (spacing, orientation, oblique grid, intensities) is segmented with a warning, and a
label map given as the scan is refused.

  --model, -m <dir>       model folder (llmseg train or import-weights)
  --input <volume>        .nii, .nii.gz, .h5 (#dataset, default image), .nrrd, .mha/.mhd or a
                          DICOM series folder (docs/interoperability.md); a multi-channel model
                          takes one --input per channel in order ({case}_0000.nii.gz,
                          {case}_0001.nii.gz, …); given {case}_0000 alone, the other channel
                          files beside it are taken
  --output <file>         label mask in the input's geometry (values 0..classes−1): uint8 NIfTI,
                          or a DICOM SEG (.dcm) of a DICOM series folder given as --input
  -i <folder>             every scan in the folder ({case}_XXXX.nii.gz per channel, or
                          {case}.nii.gz), with progress; needs -o
  -o <folder>             masks written as <folder>/{case}.nii.gz (created)
  --probabilities <file>  foreground softmax averaged over windows, float32 NIfTI
  --uncertainty <file>    |p_A − p_B| of the co-trained pair, float32 NIfTI
  --patch X,Y,Z           window (default: the model's training patch)
  --stride X,Y,Z          window stride (default: the model's)
  --network a|b|average   which network predicts (default a)
  --largest-component     keep only the largest connected foreground component
  --tta                   average each window over its flips along the axes the training
                          augmentation flipped (hippocampus: 8 flips, LA: 4), as nnU-Net's
                          mirroring; that many times slower`;

export const inferCommand: Command = {
  name: "infer",
  summary: "Segment a volume with a model folder (sliding window)",
  usage,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parseOptions(args, {
      model: { type: "string", short: "m" },
      input: { type: "string", multiple: true },
      output: { type: "string" },
      "input-dir": { type: "string", short: "i" },
      "output-dir": { type: "string", short: "o" },
      probabilities: { type: "string" },
      uncertainty: { type: "string" },
      patch: { type: "string" },
      stride: { type: "string" },
      network: { type: "string", default: "a" },
      "largest-component": { type: "boolean", default: false },
      tta: { type: "boolean", default: false },
    }, usage);
    rejectPositionals(positionals, usage);
    const model = required(values.model, "--model", usage);
    const options: InferOptions = {
      patch: values.patch === undefined ? undefined : parseTriple(values.patch, "--patch"),
      stride: values.stride === undefined ? undefined : parseTriple(values.stride, "--stride"),
      network: parseChoice(values.network, "--network", EvaluatedNetwork.options),
      largestComponent: values["largest-component"],
      tta: values.tta,
      probabilities: values.probabilities !== undefined,
      uncertainty: values.uncertainty !== undefined,
    };
    const folder = values["input-dir"] !== undefined || values["output-dir"] !== undefined;
    if (folder) {
      if (values.input !== undefined || values.output !== undefined) {
        throw new UserError("bad_option", `give --input/--output or -i/-o, not both\n\n${usage}`);
      }
      if (values.probabilities !== undefined || values.uncertainty !== undefined) {
        throw new UserError("bad_option", "-i/-o writes masks only; maps need --input/--output");
      }
      return await inferFolder(
        model,
        required(values["input-dir"], "-i", usage),
        required(values["output-dir"], "-o", usage),
        options,
      );
    }
    const inputs = required(values.input, "--input", usage);
    const output = required(values.output, "--output", usage);
    await checkOutputs(inputs, output, [
      ["--probabilities", values.probabilities],
      ["--uncertainty", values.uncertainty],
    ]);
    await initEngine();
    const channels = await channelFiles(inputs, await modelChannels(model));
    const result = await inferVolume(model, await readChannels(channels), options);
    for (const warning of result.warnings) console.error(`llmseg infer: warning: ${warning}`);
    if (result.resampled) {
      console.error(
        `llmseg infer: resampled ${result.resampled.from.join("x")} mm to the model's ` +
          `${result.resampled.to.join("x")} mm and back`,
      );
    }
    await writeVolume(output, result.mask, { datatype: "uint8" });
    if (values.probabilities && result.probabilities) {
      await writeVolume(values.probabilities, result.probabilities, { datatype: "float32" });
    }
    if (values.uncertainty && result.uncertainty) {
      await writeVolume(values.uncertainty, result.uncertainty, { datatype: "float32" });
    }
    const foreground = result.mask.data.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
    console.log(JSON.stringify({ output, foregroundVoxels: foreground, shape: result.mask.shape }));
    return 0;
  },
};

/**
 * Refuses, before any inference, an output that cannot be written: maps are NIfTI; the mask is
 * NIfTI, or a DICOM SEG (`.dcm`) when the input is a DICOM series (the SEG references its slices).
 */
async function checkOutputs(
  inputs: string[],
  mask: string,
  maps: [flag: string, path: string | undefined][],
): Promise<void> {
  const nifti = /\.nii(\.gz)?$/i;
  for (const [flag, path] of maps) {
    if (path !== undefined && !nifti.test(path)) {
      throw new UserError("bad_option", `${flag} ${path}: write NIfTI (.nii or .nii.gz)`);
    }
  }
  if (nifti.test(mask)) return;
  if (!/\.dcm$/i.test(mask)) {
    throw new UserError(
      "bad_option",
      `--output ${mask}: write NIfTI (.nii, .nii.gz) or, for a DICOM series, a DICOM SEG (.dcm)`,
    );
  }
  // A series is a folder, optionally `folder#<SeriesInstanceUID>` (`case.h5#image` is a file).
  const folder = inputs[0].split("#")[0];
  const series = inputs.length === 1 &&
    await Deno.stat(folder).then((info) => info.isDirectory, () => false);
  if (!series) {
    throw new UserError(
      "bad_option",
      `--output ${mask}: a DICOM SEG references the series it segments; give the DICOM series ` +
        `folder as --input, or write NIfTI`,
    );
  }
}

/** The channel count model.json states (validated when the model loads for inference). */
async function modelChannels(model: string): Promise<number> {
  const loaded = await loadModelFolder(model);
  loaded.dispose();
  return loaded.manifest.network.inChannels;
}

/**
 * The per-channel files of one scan: as given, or, for a lone `{case}_0000` and a model of
 * several channels, it and the `_0001`, … files beside it (nnU-Net's naming).
 */
async function channelFiles(inputs: string[], channels: number): Promise<string[]> {
  const match = /^(.*)_0000(\.nii\.gz|\.nii)$/.exec(inputs[0]);
  if (inputs.length !== 1 || channels === 1 || !match) return inputs;
  const files = Array.from(
    { length: channels },
    (_, c) => `${match[1]}_${String(c).padStart(4, "0")}${match[2]}`,
  );
  for (const file of files) {
    try {
      await Deno.stat(file);
    } catch {
      throw new UserError(
        "invalid_input",
        `the model takes ${channels} channels: ${file} is missing (give one --input per channel)`,
      );
    }
  }
  return files;
}

/** Segments every scan of `inputDir` into `outputDir/{case}.nii.gz`, reporting progress. */
async function inferFolder(
  model: string,
  inputDir: string,
  outputDir: string,
  options: InferOptions,
): Promise<number> {
  const cases = await listImageFolder(inputDir, await modelChannels(model));
  await initEngine();
  await Deno.mkdir(outputDir, { recursive: true });
  const written: { case: string; output: string; foregroundVoxels: number }[] = [];
  for (const [n, entry] of cases.entries()) {
    const began = performance.now();
    const result = await inferVolume(model, await readChannels(entry.images), options);
    const output = join(outputDir, `${entry.id}.nii.gz`);
    await writeVolume(output, result.mask, { datatype: "uint8" });
    for (const warning of result.warnings) console.error(`llmseg infer: warning: ${warning}`);
    const seconds = ((performance.now() - began) / 1000).toFixed(1);
    console.error(
      `llmseg infer: [${n + 1}/${cases.length}] ${entry.id} (${
        entry.images.map((p) => basename(p)).join(" + ")
      }) → ${output} (${seconds} s${result.resampled ? ", resampled" : ""})`,
    );
    const foregroundVoxels = result.mask.data.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
    written.push({ case: entry.id, output, foregroundVoxels });
  }
  console.log(JSON.stringify({ outputDir, cases: written }));
  return 0;
}
