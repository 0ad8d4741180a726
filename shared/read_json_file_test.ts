import assert from "node:assert/strict";
import { z } from "zod";
import { UserError } from "./errors.ts";
import { readJsonFile } from "./read_json_file.ts";

const schema = z.object({ n: z.number() });

Deno.test("readJsonFile: absent file is undefined; valid file parses", async () => {
  const dir = await Deno.makeTempDir();
  assert.equal(await readJsonFile(`${dir}/none.json`, schema, "bad", "a thing"), undefined);
  await Deno.writeTextFile(`${dir}/ok.json`, '{"n": 3}');
  assert.deepEqual(await readJsonFile(`${dir}/ok.json`, schema, "bad", "a thing"), { n: 3 });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readJsonFile: not JSON, or the wrong shape, is a UserError naming the file", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/text.json`, "hello");
  await Deno.writeTextFile(`${dir}/shape.json`, '{"n": "x"}');
  await assert.rejects(
    () => readJsonFile(`${dir}/text.json`, schema, "bad", "a thing"),
    (e) => e instanceof UserError && e.code === "bad" && /text\.json is not JSON/.test(e.message),
  );
  await assert.rejects(
    () => readJsonFile(`${dir}/shape.json`, schema, "bad", "a thing"),
    (e) => e instanceof UserError && /shape\.json is not a thing: n:/.test(e.message),
  );
  await Deno.remove(dir, { recursive: true });
});
