/**
 * `llmseg`: the command-line entry. Runs train, infer, evaluate and the other jobs in one process,
 * with no server (the embedded default).
 */
import { UserError } from "@llmseg/shared";
import { quietTfjs } from "../quiet_tfjs.ts";
import { commands } from "./commands.ts";

function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `usage: llmseg <command> [options]\n\ncommands:\n${lines.join("\n")}\n\n` +
    "Run `llmseg <command> --help` for a command's options.";
}

/** Runs one command line; resolves to the exit code. Exported for tests. */
export async function main(argv: string[]): Promise<number> {
  quietTfjs();
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(helpText());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`llmseg: unknown command '${name}'\n\n${helpText()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UserError) {
      console.error(`llmseg ${name}: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
