import { parseArgs, type ParseArgsConfig } from "node:util";
import { UserError } from "@llmseg/shared";

/** One `llmseg <name>` sub-command. */
export interface Command {
  name: string;
  /** One line for `llmseg help`. */
  summary: string;
  /** Full usage text, printed by `llmseg <name> --help` and after a bad option. */
  usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

/**
 * Parses `args` with node:util's strict parser, turning its errors (unknown option, missing value)
 * into a {@link UserError} that names the command's usage.
 */
export function parseOptions<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: T,
  usage: string,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UserError("bad_option", `${(error as Error).message}\n\n${usage}`);
  }
}

/** Returns the named option or throws a {@link UserError} saying it is required. */
export function required<T>(value: T | undefined, flag: string, usage: string): T {
  if (value === undefined) throw new UserError("bad_option", `missing ${flag}\n\n${usage}`);
  return value;
}
