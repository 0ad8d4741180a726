import type { Command } from "./command.ts";
import { descriptorsCommand } from "./commands/descriptors.ts";
import { doctorCommand } from "./commands/doctor.ts";
import { evaluateCommand } from "./commands/evaluate.ts";
import { exportOnnxCommand } from "./commands/export-onnx.ts";
import { infoCommand } from "./commands/info.ts";
import { importWeightsCommand } from "./commands/import-weights.ts";
import { modelSummaryCommand } from "./commands/model-summary.ts";
import { trainCommand } from "./commands/train.ts";
import { inferCommand } from "./commands/infer.ts";

/** Every `llmseg` sub-command, in the order `llmseg help` lists them. */
export const commands: Command[] = [
  trainCommand,
  inferCommand,
  infoCommand,
  evaluateCommand,
  modelSummaryCommand,
  importWeightsCommand,
  exportOnnxCommand,
  descriptorsCommand,
  doctorCommand,
];
