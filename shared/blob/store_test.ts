import assert from "node:assert/strict";
import S3rver from "s3rver";
import { downloadFolder, type UploadedFiles, uploadFolder } from "./folders.ts";
import { blobStoreFromEnv } from "./from_env.ts";
import { fsBlobStore } from "./fs.ts";
import { s3BlobStore } from "./s3.ts";
import type { BlobStore } from "./store.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

async function exerciseStore(store: BlobStore): Promise<void> {
  assert.equal(await store.read("tenants/t1/missing"), undefined);
  assert.equal(await store.get("tenants/t1/missing"), undefined);
  assert.equal(await store.stat("tenants/t1/missing"), undefined);
  await store.put("tenants/t1/a.json", text('{"a":1}'));
  assert.deepEqual(await store.read("tenants/t1/a.json"), text('{"a":1}'));
  assert.deepEqual(await store.stat("tenants/t1/a.json"), { size: 7 });
  const streamed = await new Response(await store.get("tenants/t1/a.json")).text();
  assert.equal(streamed, '{"a":1}');

  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/model/sub`, { recursive: true });
    await Deno.writeTextFile(`${dir}/model/config.json`, "{}");
    await Deno.writeFile(`${dir}/model/sub/weights.bin`, new Uint8Array(70_000).fill(7));
    // A training rewriting its checkpoint leaves temp files for a moment: not uploaded.
    await Deno.writeTextFile(`${dir}/model/checkpoint.safetensors.tmp-1-abc`, "partial");
    await uploadFolder(store, `${dir}/model`, "tenants/t1/models/m1");
    assert.deepEqual(await store.list("tenants/t1/models/m1/"), [
      "tenants/t1/models/m1/config.json",
      "tenants/t1/models/m1/sub/weights.bin",
    ]);
    assert.equal(await downloadFolder(store, "tenants/t1/models/m1", `${dir}/copy`), 2);
    // Periodic uploads (checkpoints) send only the files that changed since the last one.
    const sent: UploadedFiles = new Map();
    assert.equal((await uploadFolder(store, `${dir}/model`, "tenants/t1/ckpt", sent)).length, 2);
    assert.deepEqual(await uploadFolder(store, `${dir}/model`, "tenants/t1/ckpt", sent), []);
    await Deno.writeTextFile(`${dir}/model/config.json`, '{"changed":true}');
    assert.deepEqual(await uploadFolder(store, `${dir}/model`, "tenants/t1/ckpt", sent), [
      "tenants/t1/ckpt/config.json",
    ]);
    assert.equal(
      new TextDecoder().decode(await store.read("tenants/t1/ckpt/config.json")),
      '{"changed":true}',
    );
    assert.deepEqual(
      await Deno.readFile(`${dir}/copy/sub/weights.bin`),
      new Uint8Array(70_000).fill(7),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await store.delete("tenants/t1/a.json");
  await store.delete("tenants/t1/a.json"); // no error the second time
  assert.equal(await store.read("tenants/t1/a.json"), undefined);
  await assert.rejects(async () => await store.put("../escape", text("x")), /invalid blob key/);
}

Deno.test("fsBlobStore: put/get/stat/list/delete, folders, no path escape, no temp files left", async () => {
  const root = await Deno.makeTempDir();
  try {
    await exerciseStore(fsBlobStore(root));
    const leftovers = await Array.fromAsync(Deno.readDir(`${root}/tenants/t1`));
    assert.deepEqual(leftovers.map((e) => e.name).sort(), ["ckpt", "models"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "s3BlobStore against s3rver: same behaviour as the filesystem store",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const directory = await Deno.makeTempDir();
    const server = new S3rver({
      address: "127.0.0.1",
      port: 0,
      silent: true,
      directory,
      configureBuckets: [{ name: "llmseg", configs: [] }],
    });
    const { port } = await server.run();
    try {
      await exerciseStore(s3BlobStore({
        bucket: "llmseg",
        endpoint: `http://127.0.0.1:${port}`,
        accessKeyId: "S3RVER",
        secretAccessKey: "S3RVER",
        prefix: "svc/",
      }));
    } finally {
      await server.close();
      await Deno.remove(directory, { recursive: true });
    }
  },
});

Deno.test("blobStoreFromEnv: filesystem by default, S3 when a bucket is named, keys required", async () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  const root = await Deno.makeTempDir();
  try {
    await blobStoreFromEnv(env({ LLMSEG_BLOB_DIR: root })).put("tenants/t/x", text("1"));
    assert.equal(await Deno.readTextFile(`${root}/tenants/t/x`), "1");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  assert.throws(
    () => blobStoreFromEnv(env({ LLMSEG_S3_BUCKET: "b" })),
    /LLMSEG_S3_ACCESS_KEY_ID and LLMSEG_S3_SECRET_ACCESS_KEY/,
  );
  assert.doesNotThrow(() =>
    blobStoreFromEnv(env({
      LLMSEG_S3_BUCKET: "b",
      LLMSEG_S3_ACCESS_KEY_ID: "k",
      LLMSEG_S3_SECRET_ACCESS_KEY: "s",
      LLMSEG_S3_ENDPOINT: "http://127.0.0.1:1",
    }))
  );
});
