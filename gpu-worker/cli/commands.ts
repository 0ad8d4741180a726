import type { Command } from "./command.ts";
import { evaluateCommand } from "./commands/evaluate.ts";

/** Every `llmseg` sub-command, in the order `llmseg help` lists them. */
export const commands: Command[] = [evaluateCommand];
