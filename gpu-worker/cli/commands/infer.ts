/**
 * `llmseg infer`: segments one volume with a model folder (sliding window, METHOD.md 6) and writes
 * the mask, optionally the foreground probability and the A/B disagreement maps, in the input's
 * geometry.
 */
import { UserError } from "@llmseg/shared";
import { readVolume, writeVolume } from "../../../shared/volume/mod.ts";
import { initEngine } from "../../engine/mod.ts";
import { type EvaluatedNetwork, inferVolume } from "../../inferers/mod.ts";
import {
  type Command,
  parseOptions,
  parseTriple,
  rejectPositionals,
  required,
} from "../command.ts";

const usage = `usage: llmseg infer --model <model-dir> --input <volume> --output <mask.nii.gz>
                    [--probabilities <file>] [--uncertainty <file>] [--patch X,Y,Z]
                    [--stride X,Y,Z] [--network a|b|average] [--largest-component]

  --model <dir>           model folder (llmseg train or import-weights)
  --input <volume>        .nii, .nii.gz or .h5 (#dataset, default image)
  --output <file>         label mask, uint8 NIfTI in the input's geometry
  --probabilities <file>  foreground softmax averaged over windows, float32 NIfTI
  --uncertainty <file>    |p_A − p_B| of the co-trained pair, float32 NIfTI
  --patch X,Y,Z           window (default: the model's training patch)
  --stride X,Y,Z          window stride (default: the model's)
  --network a|b|average   which network predicts (default a)
  --largest-component     keep only the largest connected foreground component`;

export const inferCommand: Command = {
  name: "infer",
  summary: "Segment a volume with a model folder (sliding window)",
  usage,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parseOptions(args, {
      model: { type: "string" },
      input: { type: "string" },
      output: { type: "string" },
      probabilities: { type: "string" },
      uncertainty: { type: "string" },
      patch: { type: "string" },
      stride: { type: "string" },
      network: { type: "string", default: "a" },
      "largest-component": { type: "boolean", default: false },
    }, usage);
    rejectPositionals(positionals, usage);
    const model = required(values.model, "--model", usage);
    const input = required(values.input, "--input", usage);
    const output = required(values.output, "--output", usage);
    if (!["a", "b", "average"].includes(values.network)) {
      throw new UserError(
        "bad_option",
        `--network must be a, b or average, not '${values.network}'`,
      );
    }
    for (
      const [flag, path] of [["--output", output], ["--probabilities", values.probabilities], [
        "--uncertainty",
        values.uncertainty,
      ]]
    ) {
      if (path !== undefined && !/\.nii(\.gz)?$/i.test(path)) {
        throw new UserError("bad_option", `${flag} ${path}: write NIfTI (.nii or .nii.gz)`);
      }
    }
    await initEngine();
    const volume = await readVolume(input);
    const result = await inferVolume(model, volume, {
      patch: values.patch === undefined ? undefined : parseTriple(values.patch, "--patch"),
      stride: values.stride === undefined ? undefined : parseTriple(values.stride, "--stride"),
      network: values.network as EvaluatedNetwork,
      largestComponent: values["largest-component"],
      probabilities: values.probabilities !== undefined,
      uncertainty: values.uncertainty !== undefined,
    });
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
