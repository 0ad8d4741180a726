import assert from "node:assert/strict";
import { llmseg, llmsegWithEnv } from "../testing.ts";

Deno.test("llmseg doctor --backend cpu reports the wasm kernels and the thread count", async () => {
  const { code, stdout } = await llmseg("doctor", "--backend", "cpu", "--threads", "2", "--json");
  assert.equal(code, 0);
  const info = JSON.parse(stdout.slice(stdout.indexOf("{")));
  assert.equal(info.backend, "cpu");
  assert.equal(info.threads, 2);
  assert.equal(info.simd, true);
  assert.ok(info.kernels.includes("Conv3D"));
  assert.ok(["relaxed-simd", "simd128"].includes(info.variant));
});

Deno.test("llmseg doctor refuses a bad --threads or --backend with exit code 2", async () => {
  const threads = await llmseg("doctor", "--threads", "zero");
  assert.equal(threads.code, 2);
  assert.match(threads.stderr, /--threads must be an integer/);
  const backend = await llmseg("doctor", "--backend", "cuda");
  assert.equal(backend.code, 2);
  assert.match(backend.stderr, /--backend must be one of/);
});

Deno.test("LLMSEG_THREADS sets the kernel threads; a bad value is a user error", async () => {
  const run = (value: string) =>
    llmsegWithEnv({ LLMSEG_THREADS: value }, "doctor", "--backend", "cpu", "--json");
  const one = await run("1");
  assert.equal(JSON.parse(one.stdout.slice(one.stdout.indexOf("{"))).threads, 1);
  const bad = await run("many");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /LLMSEG_THREADS must be an integer/);
});
