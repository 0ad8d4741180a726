import assert from "node:assert/strict";
import { llmseg, llmsegWithEnv } from "../testing.ts";
import { loadOneDnn } from "../../engine/onednn/library.ts";

const json = (stdout: string) => JSON.parse(stdout.slice(stdout.indexOf("{")));

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

Deno.test("llmseg doctor says which CPU engine runs: oneDNN where it loads, wasm when asked", async () => {
  const loaded = loadOneDnn(1);
  const auto = await llmseg("doctor", "--backend", "cpu", "--json");
  assert.equal(auto.code, 0);
  assert.equal(json(auto.stdout).cpuEngine, "library" in loaded ? "onednn" : "wasm");
  const wasm = await llmseg("doctor", "--backend", "cpu", "--engine", "wasm");
  assert.equal(wasm.code, 0);
  assert.match(wasm.stdout, /CPU engine +wasm \(oneDNN not used: .*chose wasm\)/);
  const env = await llmsegWithEnv(
    { LLMSEG_ENGINE: "wasm" },
    "doctor",
    "--backend",
    "cpu",
    "--json",
  );
  assert.equal(json(env.stdout).cpuEngine, "wasm");
});

Deno.test("a bad --engine or LLMSEG_ENGINE is a user error (exit 2)", async () => {
  const option = await llmseg("doctor", "--engine", "mkl");
  assert.equal(option.code, 2);
  assert.match(option.stderr, /--engine must be one of auto, onednn, wasm/);
  const env = await llmsegWithEnv({ LLMSEG_ENGINE: "mkl" }, "doctor", "--backend", "cpu");
  assert.equal(env.code, 2);
  assert.match(env.stderr, /LLMSEG_ENGINE must be one of/);
});
