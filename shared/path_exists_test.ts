import assert from "node:assert/strict";
import { pathExists } from "./path_exists.ts";

Deno.test("pathExists answers for a file, a folder and a missing path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "llmseg-exists-" });
  try {
    await Deno.writeTextFile(`${dir}/file.txt`, "x");
    assert.equal(await pathExists(`${dir}/file.txt`), true);
    assert.equal(await pathExists(dir), true);
    assert.equal(await pathExists(`${dir}/missing`), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
