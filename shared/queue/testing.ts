/** A redis-server a test started on a free loopback port, with nothing saved to disk. */
export interface TestRedisServer {
  url: string;
  port: number;
  /** Kills the server (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
}

/** A loopback port that was free a moment ago (the OS picks it; a test then binds it). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Starts `redis-server --port <free> --save ""` in a temporary `--dir` (whatever a test turns on,
 * AOF included, is written there, never into the working directory) and resolves once it answers.
 */
export async function startRedisServer(): Promise<TestRedisServer> {
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "llmseg-redis-" });
  const child = new Deno.Command("redis-server", {
    args: [
      ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir],
      ...["--save", "", "--appendonly", "no"],
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = Date.now() + 5000;
  while (true) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        await child.status;
        await Deno.remove(dir, { recursive: true });
        throw new Error(`redis-server did not start on port ${port}: ${error}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await Deno.remove(dir, { recursive: true });
    },
  };
}
