/**
 * `llmseg export-onnx`: writes a model folder's network (A, B, or the pair's average) as an ONNX
 * file for onnxruntime and other runtimes (gpu-worker/checkpoint/onnx_export.ts).
 */
import { UserError } from "@llmseg/shared";
import { loadModelFolder } from "../../checkpoint/model_folder.ts";
import type { Member, ModelManifest } from "../../checkpoint/model_manifest.ts";
import { exportOnnx } from "../../checkpoint/onnx_export.ts";
import { writeFileAtomic } from "../../../shared/write_atomic.ts";
import { EvaluatedNetwork } from "../../../shared/contracts/inference.ts";
import {
  type Command,
  parseChoice,
  parseOptions,
  rejectPositionals,
  required,
} from "../command.ts";

const usage =
  `usage: llmseg export-onnx --model <model-dir> --out <file.onnx> [--network a|b|average]

Exports a trained or imported model as ONNX (opset 17) with the network as inference runs it:
batch norm folded into the convolutions, the text branch's bottleneck term as a constant, softmax.

  input  "image"          float32 [N, C, X, Y, Z], already normalised as model.json's
                          preprocessing says (the metadata key "normalization" repeats it);
                          X, Y, Z divisible by 16 (the training patch is in "patch")
  output "probabilities"  float32 [N, classes, X, Y, Z]

  --model <model-dir>     folder written by llmseg train or import-weights
  --out <file.onnx>       the file to write (replaced whole if it exists)
  --network a|b|average   network A (default, as llmseg infer), B, or the mean of both softmaxes`;

export const exportOnnxCommand: Command = {
  name: "export-onnx",
  summary: "Export a model folder's network as ONNX (onnxruntime, TensorRT, …)",
  usage,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parseOptions(args, {
      model: { type: "string" },
      out: { type: "string" },
      network: { type: "string", default: "a" },
    }, usage);
    rejectPositionals(positionals, usage);
    const modelDir = required(values.model, "--model", usage);
    const out = required(values.out, "--out", usage);
    const network = parseChoice(values.network, "--network", EvaluatedNetwork.options)!;
    if (!/\.onnx$/i.test(out)) {
      throw new UserError("bad_option", `--out ${out}: the file name must end in .onnx`);
    }
    const model = await loadModelFolder(modelDir);
    try {
      const members: Member[] = network === "average" ? ["a", "b"] : [network];
      const missing = members.find((m) => !model.networks.has(m));
      if (missing) {
        throw new UserError(
          "bad_option",
          `${modelDir} holds network(s) ${model.manifest.members.join(", ")}: no network ` +
            `${missing} to export (--network ${network})`,
        );
      }
      const bytes = await exportOnnx(members.map((m) => model.networks.get(m)!), {
        metadata: exportMetadata(model.manifest, network),
        docString: `LLM-SegNet ${model.manifest.network.arch}, network ${network}: ` +
          "softmax probabilities of a normalised [N, C, X, Y, Z] image",
      });
      try {
        await writeFileAtomic(out, bytes);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) {
          throw new UserError("bad_option", `--out ${out}: folder does not exist`);
        }
        throw error;
      }
      const size = (bytes.length / 1024 ** 2).toFixed(1);
      console.log(
        `exported ${model.manifest.network.arch} network ${network} (${size} MiB) to ${out}`,
      );
    } finally {
      model.dispose();
    }
    return 0;
  },
};

/** What a user of the ONNX file needs from model.json, as metadata_props. */
function exportMetadata(manifest: ModelManifest, network: string): Record<string, string> {
  const { arch, inChannels, classes, beta } = manifest.network;
  return {
    "llmseg.schema": manifest.schema,
    arch,
    network,
    layout: "image [N, C, X, Y, Z] -> probabilities [N, classes, X, Y, Z]",
    in_channels: String(inChannels),
    classes: String(classes),
    patch: manifest.patch.join(","),
    stride: manifest.stride.join(","),
    normalization: JSON.stringify(manifest.preprocessing.normalization),
    text_branch: beta > 0
      ? `beta ${beta}, knowledge ${manifest.knowledge!.vectorHash} (folded in as a constant)`
      : "none",
    origin: JSON.stringify(manifest.origin),
  };
}
