/** Test helpers: run the `llmseg` command line as a real process or in this one. */
const mainPath = new URL("./main.ts", import.meta.url).pathname;

/** Exit code and decoded output of one `llmseg` process. */
export interface LlmsegRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `deno run -A gpu-worker/cli/main.ts <args>` with `env` added to the inherited environment. */
export async function llmsegWithEnv(
  env: Record<string, string>,
  ...args: string[]
): Promise<LlmsegRun> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", mainPath, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

/** Runs `llmseg <args>` as a real process. */
export function llmseg(...args: string[]): Promise<LlmsegRun> {
  return llmsegWithEnv({}, ...args);
}

/**
 * Runs `llmseg <args>` in this process (faster than a process; shares tfjs state), capturing
 * console.log as stdout and console.error as stderr.
 */
export async function llmsegInProcess(...args: string[]): Promise<LlmsegRun> {
  // Imported here so that tests running only processes do not load every command.
  const { main } = await import("./main.ts");
  const stdout: string[] = [];
  const stderr: string[] = [];
  const { log, error } = console;
  console.log = (...parts: unknown[]) => stdout.push(parts.join(" "));
  console.error = (...parts: unknown[]) => stderr.push(parts.join(" "));
  try {
    const code = await main(args);
    return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
  } finally {
    Object.assign(console, { log, error });
  }
}
