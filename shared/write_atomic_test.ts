import assert from "node:assert/strict";
import { writeFileAtomic } from "./write_atomic.ts";

Deno.test("writeFileAtomic writes text and bytes, replaces a file and leaves no temp file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "llmseg-atomic-" });
  try {
    await writeFileAtomic(`${dir}/a.txt`, "first");
    await writeFileAtomic(`${dir}/a.txt`, "second");
    assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "second");
    await writeFileAtomic(`${dir}/b.bin`, new Uint8Array([1, 2, 3]));
    assert.deepEqual(await Deno.readFile(`${dir}/b.bin`), new Uint8Array([1, 2, 3]));
    await assert.rejects(writeFileAtomic(`${dir}/missing/c.txt`, "x"), Deno.errors.NotFound);
    // A rename onto a folder fails after the temp file was written: it must be removed.
    await Deno.mkdir(`${dir}/folder`);
    await assert.rejects(writeFileAtomic(`${dir}/folder`, "x"));
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names.sort(), ["a.txt", "b.bin", "folder"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
