import type { Command } from "./command.ts";
import { evaluateCommand } from "./commands/evaluate.ts";
import { infoCommand } from "./commands/info.ts";
import { importWeightsCommand } from "./commands/import-weights.ts";
import { modelSummaryCommand } from "./commands/model-summary.ts";

/** Every `llmseg` sub-command, in the order `llmseg help` lists them. */
export const commands: Command[] = [infoCommand, evaluateCommand, modelSummaryCommand, importWeightsCommand];
