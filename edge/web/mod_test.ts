import { equal, match } from "node:assert/strict";
import { webApp } from "./mod.ts";

Deno.test("webApp serves the built page and its assets with their types", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/index.html`, "<!doctype html><title>x</title>");
    await Deno.writeTextFile(`${dir}/main.js`, "console.log(1)");
    const app = webApp({ dir });
    const page = await app.request("/");
    equal(page.status, 200);
    match(page.headers.get("content-type") ?? "", /^text\/html/);
    equal(await page.text(), "<!doctype html><title>x</title>");
    const script = await app.request("/app/main.js");
    equal(script.status, 200);
    match(script.headers.get("content-type") ?? "", /^text\/javascript/);
    await script.body?.cancel();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("webApp refuses unknown names and says how to build when nothing is built", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const app = webApp({ dir });
    const missing = await app.request("/");
    equal(missing.status, 503);
    match(await missing.text(), /edge\/web\/build\.ts/);
    equal((await app.request("/app/secret.txt")).status, 404);
    equal((await app.request("/app/..%2Fmod.ts")).status, 404);
    equal((await app.request("/app/nothing.js")).status, 404);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
