/**
 * `llmseg import-weights`: turns a PyTorch state dict of the lineage V-Net (UA-MT/BCP names) or
 * the SSL4MIS 3D U-Net, saved as safetensors, into a model folder that `llmseg infer` can use.
 */
import { resolve } from "node:path";
import { UserError } from "@llmseg/shared";
import { saveModelFolder } from "../../checkpoint/model_folder.ts";
import type { ModelManifest } from "../../checkpoint/model_manifest.ts";
import { readSafetensors } from "../../checkpoint/safetensors.ts";
import { importTorchWeights } from "../../checkpoint/torch_import.ts";
import {
  type Command,
  parseArch,
  parseOptions,
  parsePatch,
  parseTriple,
  rejectPositionals,
  required,
} from "../command.ts";

const usage =
  `usage: llmseg import-weights --from <file.safetensors> --arch vnet|unet3d --out <model-dir>
                            [--patch X,Y,Z] [--stride X,Y,Z] [--intensity zscore|none]

Imports PyTorch weights saved as safetensors (e.g. safetensors.torch.save_file(model.state_dict(),
...)): the UA-MT/MC-Net V-Net (networks/vnet.py names, with or without BCP's encoder./decoder. or
DataParallel's module. prefixes) or the SSL4MIS unet_3D. Width, input channels and classes are
read from the weights. The model folder gets one network ("a") and no text branch.

  --from <file>          the state dict as .safetensors
  --arch vnet|unet3d     the architecture the weights belong to
  --out <model-dir>      new model folder (must not exist or be empty)
  --patch X,Y,Z          default sliding window (default 112,112,80 V-Net; 96,96,96 U-Net)
  --stride X,Y,Z         default window stride (default 18,18,4 V-Net, LA; 64,64,64 U-Net, BraTS)
  --intensity zscore|none  preprocessing inference applies (default zscore)`;

/** Default strides: LA's 18×18×4 and BraTS's 64³ (docs/METHOD.md 1.4). */
const DEFAULT_STRIDE = { vnet: [18, 18, 4], unet3d: [64, 64, 64] } as const;

export const importWeightsCommand: Command = {
  name: "import-weights",
  summary: "Import PyTorch V-Net / 3D U-Net weights (safetensors) into a model folder",
  usage,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parseOptions(args, {
      from: { type: "string" },
      arch: { type: "string" },
      out: { type: "string" },
      patch: { type: "string" },
      stride: { type: "string" },
      intensity: { type: "string", default: "zscore" },
    }, usage);
    rejectPositionals(positionals, usage);
    const from = required(values.from, "--from", usage);
    const arch = parseArch(required(values.arch, "--arch", usage));
    const out = required(values.out, "--out", usage);
    const patch = parsePatch(values.patch, arch);
    const stride = values.stride === undefined
      ? [...DEFAULT_STRIDE[arch]] as [number, number, number]
      : parseTriple(values.stride, "--stride");
    const intensity = values.intensity;
    if (intensity !== "zscore" && intensity !== "none") {
      throw new UserError("bad_option", `--intensity must be zscore or none, not '${intensity}'`);
    }
    await refuseNonEmpty(out);
    const network = importTorchWeights(await readSafetensors(from), arch, from);
    try {
      const manifest: ModelManifest = {
        schema: "llmseg.model/v1",
        network: network.config,
        members: ["a"],
        patch,
        stride,
        preprocessing: { normalization: { zscore: intensity === "zscore" ? "all" : "none" } },
        knowledge: null,
        origin: { kind: "imported", from: resolve(from) },
        createdAt: new Date().toISOString(),
      };
      await saveModelFolder(out, manifest, new Map([["a", network]]));
      const { width, inChannels, classes } = network.config;
      console.log(
        `imported ${
          network.parameterCount().toLocaleString("en-US")
        } parameters (${arch}, width ${width}, ` +
          `${inChannels} input channel(s), ${classes} classes) into ${out}`,
      );
    } finally {
      network.dispose();
    }
    return 0;
  },
};

async function refuseNonEmpty(dir: string): Promise<void> {
  try {
    for await (const _ of Deno.readDir(dir)) {
      throw new UserError("bad_option", `--out ${dir} already exists and is not empty`);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    if (error instanceof Deno.errors.NotADirectory) {
      throw new UserError("bad_option", `--out ${dir} is a file, not a folder`);
    }
    throw error;
  }
}
