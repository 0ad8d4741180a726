/**
 * `llmseg model-summary`: the layers of the V-Net or 3D U-Net (docs/METHOD.md 3.1, 3.2), their output
 * shapes for a patch, and the parameter count.
 */
import { UserError } from "@llmseg/shared";
import { createNetwork, NetworkConfigSchema } from "../../networks/network.ts";
import {
  type Command,
  parseArch,
  parseOptions,
  parsePatch,
  rejectPositionals,
  required,
} from "../command.ts";

const usage = `usage: llmseg model-summary --arch vnet|unet3d [--patch X,Y,Z] [options]

Lists the network's layers with their output shape [X, Y, Z, C] for one patch, and the number of
trainable parameters (V-Net 9,448,866 and 3D U-Net 5,884,050 at the defaults).

  --arch vnet|unet3d     the lineage V-Net (LA, Pancreas) or the SSL4MIS 3D U-Net (BraTS)
  --patch X,Y,Z          patch size, each divisible by 16 (default 112,112,80 V-Net; 96,96,96 U-Net)
  --width N              filters of the first level, n_filters (default 16)
  --in-channels N        input channels (default 1)
  --classes N            output classes (default 2)
  --beta B               text weight; > 0 adds the text MLP (768 → 256 → bottleneck) (default 0)
  --json                 print one JSON object {arch, patch, config, layers, parameters}`;

function parseCount(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    throw new UserError("bad_option", `${flag} must be a positive integer, not '${text}'`);
  }
  return n;
}

export const modelSummaryCommand: Command = {
  name: "model-summary",
  summary: "Layers, output shapes for a patch, and parameter count of the V-Net or 3D U-Net",
  usage,
  run(args: string[]): Promise<number> {
    const { values, positionals } = parseOptions(args, {
      arch: { type: "string" },
      patch: { type: "string" },
      width: { type: "string" },
      "in-channels": { type: "string" },
      classes: { type: "string" },
      beta: { type: "string" },
      json: { type: "boolean", default: false },
    }, usage);
    rejectPositionals(positionals, usage);
    const arch = parseArch(required(values.arch, "--arch", usage));
    const patch = parsePatch(values.patch, arch);
    const beta = values.beta === undefined ? 0 : Number(values.beta);
    if (!(beta >= 0)) {
      throw new UserError("bad_option", `--beta must be a number >= 0, not '${values.beta}'`);
    }
    const config = NetworkConfigSchema.parse({
      arch,
      width: parseCount(values.width, "--width", 16),
      inChannels: parseCount(values["in-channels"], "--in-channels", 1),
      classes: parseClasses(values.classes),
      beta,
    });
    // The summary depends on shapes only, so a zero knowledge vector stands in for e.
    const network = createNetwork(
      config,
      0,
      beta > 0 ? new Float32Array(config.knowledgeDim) : undefined,
    );
    try {
      const layers = network.summary(patch);
      const parameters = network.parameterCount();
      if (values.json) {
        console.log(JSON.stringify({ arch, patch, config, layers, parameters }));
      } else {
        console.log(formatTable(layers.map((l) => [
          l.name,
          l.op,
          `${l.outputShape.slice(0, 3).join("×")} × ${l.outputShape[3]}`,
          l.parameters.toLocaleString("en-US"),
        ])));
        console.log(
          `\n${arch}, patch ${patch.join("×")}: ${parameters.toLocaleString("en-US")} parameters`,
        );
      }
    } finally {
      network.dispose();
    }
    return Promise.resolve(0);
  },
};

function parseClasses(text: string | undefined): number {
  const classes = parseCount(text, "--classes", 2);
  if (classes < 2) {
    throw new UserError("bad_option", "--classes must be at least 2 (background + one)");
  }
  return classes;
}

function formatTable(rows: string[][]): string {
  const header = ["layer", "operation", "output X×Y×Z × C", "parameters"];
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  return all.map((r) =>
    r.map((cell, c) => c === 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])).join("  ")
  )
    .join("\n");
}
