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

/** Throws a {@link UserError} naming the first positional argument, for commands that take none. */
export function rejectPositionals(positionals: string[], usage: string): void {
  if (positionals.length > 0) {
    throw new UserError("bad_option", `unexpected argument '${positionals[0]}'\n\n${usage}`);
  }
}

/** Parses `X,Y,Z` of positive integers for `flag`, or throws a UserError naming it. */
export function parseTriple(text: string, flag: string): [number, number, number] {
  const parts = text.split(",").map((p) => p.trim());
  const numbers = parts.map(Number);
  if (parts.length !== 3 || numbers.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new UserError(
      "bad_option",
      `${flag} must be three positive integers X,Y,Z, not '${text}'`,
    );
  }
  return numbers as [number, number, number];
}

/** Parses `--arch`, refusing anything but vnet and unet3d. */
export function parseArch(text: string): "vnet" | "unet3d" {
  if (text !== "vnet" && text !== "unet3d") {
    throw new UserError("bad_option", `--arch must be vnet or unet3d, not '${text}'`);
  }
  return text;
}

/** Default patch per architecture: LA's 112×112×80 and BraTS's 96³ (docs/METHOD.md 1.4). */
const DEFAULT_PATCH = { vnet: [112, 112, 80], unet3d: [96, 96, 96] } as const;

/**
 * Parses `--patch X,Y,Z` (default: the architecture's), refusing a side not divisible by 16: the
 * networks halve the grid four times (docs/METHOD.md 3.1, 3.2).
 */
export function parsePatch(
  text: string | undefined,
  arch: "vnet" | "unet3d",
): [number, number, number] {
  const patch = text === undefined
    ? [...DEFAULT_PATCH[arch]] as [number, number, number]
    : parseTriple(text, "--patch");
  if (patch.some((p) => p % 16 !== 0)) {
    throw new UserError(
      "bad_option",
      `--patch ${patch.join(",")}: every side must be divisible by 16`,
    );
  }
  return patch;
}

/** `text` if it is one of `choices` (a contract enum's `options`), else a bad_option error. */
export function parseChoice<T extends string>(
  text: string | undefined,
  flag: string,
  choices: readonly T[],
): T | undefined {
  if (text === undefined) return undefined;
  if (!choices.includes(text as T)) {
    throw new UserError(
      "bad_option",
      `${flag} must be one of ${choices.join(", ")}, not '${text}'`,
    );
  }
  return text as T;
}
