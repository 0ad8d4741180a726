import type { Command } from "./command.ts";

/** Every `llmseg` sub-command, in the order `llmseg help` lists them. */
export const commands: Command[] = [];
