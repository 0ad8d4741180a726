/** Test helper: runs the `llmseg` command line as a real process. */

const main = new URL("./main.ts", import.meta.url).pathname;

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
    args: ["run", "-A", main, ...args],
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
