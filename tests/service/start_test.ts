import assert from "node:assert/strict";
import { startRedisServer } from "../../shared/queue/testing.ts";
import { waitFor } from "./harness.ts";

const repoRoot = new URL("../../", import.meta.url).pathname;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

function start(env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "deploy/start.ts"],
    cwd: repoRoot,
    env: { LLMSEG_ADMIN_TOKEN: "start-test-admin-token", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test("deno task start: says what to do when Redis is not reachable", async () => {
  const { code, stderr } = await start({ REDIS_URL: `redis://127.0.0.1:${freePort()}` }).output();
  const message = new TextDecoder().decode(stderr);
  assert.equal(code, 2);
  assert.match(message, /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+/);
  assert.match(message, /redis-server|REDIS_URL/);
});

Deno.test("deno task start: serves the edge against REDIS_URL and stops cleanly on SIGTERM", async () => {
  const redis = await startRedisServer();
  const blobDir = await Deno.makeTempDir();
  const port = freePort();
  const child = start({
    REDIS_URL: redis.url,
    PORT: String(port),
    LLMSEG_WORKERS: "0",
    LLMSEG_BLOB_DIR: blobDir,
  });
  try {
    const doc = await waitFor("the edge to answer", async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v1/openapi.json`);
        return res.ok ? await res.json() : undefined;
      } catch {
        return undefined;
      }
    }, 30_000);
    assert.equal(doc.info.title, "LLM-SegNet service");
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    await child.stdout.cancel();
    await child.stderr.cancel();
    assert.equal(status.code, 0);
    await redis.stop();
    await Deno.remove(blobDir, { recursive: true });
  }
});
