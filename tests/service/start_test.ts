import assert from "node:assert/strict";
import { loadDescriptorSet } from "../../shared/knowledge/descriptor_set.ts";
import { startFakeOpenAI } from "../../shared/knowledge/testing/fake_openai.ts";
import { freePort, startRedisServer } from "../../shared/queue/testing.ts";
import { adminToken, createTenant, waitFor } from "./harness.ts";

const repoRoot = new URL("../../", import.meta.url).pathname;

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

Deno.test("deno task start: descriptor generation follows the client's connection without Deno's legacy-abort warning", async () => {
  const shipped = await loadDescriptorSet("hippocampus");
  const llm = startFakeOpenAI([{ json: { descriptors: shipped.descriptors } }, {
    delayMs: 30_000,
  }]);
  const redis = await startRedisServer();
  const blobDir = await Deno.makeTempDir();
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = start({
    REDIS_URL: redis.url,
    PORT: String(port),
    LLMSEG_WORKERS: "0",
    LLMSEG_BLOB_DIR: blobDir,
    LLMSEG_ADMIN_TOKEN: adminToken,
    OPENAI_BASE_URL: llm.baseURL,
    OPENAI_API_KEY: llm.apiKey,
  });
  try {
    await waitFor("the edge to answer", async () => {
      try {
        const res = await fetch(`${base}/v1/openapi.json`);
        await res.body?.cancel();
        return res.ok || undefined;
      } catch {
        return undefined;
      }
    }, 30_000);
    const { key } = await createTenant({ base });
    const generate = (id: string, signal?: AbortSignal): Promise<Response> =>
      fetch(`${base}/v1/descriptors`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ id, structure: "hippocampus", modality: "3D MRI" }),
        signal,
      });
    const created = await generate("hippo-ok");
    assert.equal(created.status, 201, await created.clone().text());
    await created.body?.cancel();

    // A client that gives up mid-generation ends the held LLM request: the edge shuts down at
    // once on SIGTERM instead of waiting out the fake's 30 s hold.
    const gone = new AbortController();
    const pending = generate("hippo-gone", gone.signal).catch(() => undefined);
    await waitFor(
      "the LLM request",
      () => Promise.resolve(llm.requests.length === 2 || undefined),
      10_000,
    );
    gone.abort();
    await pending;
  } finally {
    const stopping = performance.now();
    child.kill("SIGTERM");
    const status = await child.status;
    const stderr = new TextDecoder().decode(
      await new Response(child.stderr).arrayBuffer(),
    );
    await child.stdout.cancel();
    await llm.close();
    await redis.stop();
    await Deno.remove(blobDir, { recursive: true });
    assert.equal(status.code, 0, stderr);
    assert.ok(performance.now() - stopping < 20_000, "the abandoned LLM call was not cancelled");
    assert.doesNotMatch(stderr, /legacy behavior/);
  }
});
