import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { buildTinyBert } from "../../tests/fixtures/tiny-bert/build.ts";
import { BERT_FILES, openBertFolder } from "./bert_folder.ts";
import { parseSha256Sums, setupBertModel } from "./setup_model.ts";
import { rejectsUserError, throwsUserError } from "./testing/user_error.ts";

const root = await Deno.makeTempDir({ prefix: "llmseg-setup-" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
await buildTinyBert(`${root}/published`);
await buildTinyBert(`${root}/published-small`, { hidden: 32 });

/** A local static file server standing in for the model host. */
async function withHost(fn: (base: string) => Promise<void>): Promise<void> {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    try {
      return new Response(await Deno.readFile(`${root}${path}`));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

Deno.test("setup-model fetches the folder, checks it and records its checksums", async () => {
  await withHost(async (base) => {
    const dir = `${root}/models/bert-a`;
    const expected = Object.fromEntries(
      BERT_FILES.map((f) => [f, sha256(Deno.readFileSync(`${root}/published/${f}`))]),
    );
    const fetched = await setupBertModel({ dir, source: `${base}/published`, expected });
    assert.deepEqual(fetched.map((f) => f.file), [...BERT_FILES]);
    const sums = parseSha256Sums(await Deno.readTextFile(`${dir}/SHA256SUMS`), "SHA256SUMS");
    assert.deepEqual(sums, expected);
    const original = await openBertFolder(`${root}/published`);
    assert.equal((await openBertFolder(dir)).fingerprint, original.fingerprint);
    await rejectsUserError(
      () => setupBertModel({ dir, source: `${base}/published` }),
      /already exists/,
    );
  });
});

Deno.test("a checksum mismatch, a missing file or a wrong hidden size leaves nothing", async () => {
  await withHost(async (base) => {
    const dir = `${root}/failed/bert-b`;
    await rejectsUserError(
      () =>
        setupBertModel({
          dir,
          source: `${base}/published`,
          expected: { "onnx/model.onnx": "0".repeat(64) },
        }),
      /model\.onnx has SHA-256 [0-9a-f]{64}, expected 0{64}/,
    );
    await rejectsUserError(
      () => setupBertModel({ dir, source: `${base}/nowhere` }),
      /nowhere\/config\.json answered 404/,
    );
    await rejectsUserError(
      () => setupBertModel({ dir, source: `${base}/published-small` }),
      /hidden size 32/,
    );
    assert.deepEqual([...Deno.readDirSync(`${root}/failed`)].map((e) => e.name), []);
  });
});

Deno.test("an unreachable host is a clear download error", async () => {
  await rejectsUserError(
    () => setupBertModel({ dir: `${root}/models/bert-c`, source: "http://127.0.0.1:9/none" }),
    /cannot fetch http:\/\/127\.0\.0\.1:9\/none\/config\.json/,
  );
});

Deno.test("a checksum file that is not sha256sum output is refused with its line", () => {
  throwsUserError(
    () => parseSha256Sums(`${"a".repeat(64)}  config.json\nnot a sum\n`, "sums.txt"),
    /sums\.txt:2 is not/,
  );
});
