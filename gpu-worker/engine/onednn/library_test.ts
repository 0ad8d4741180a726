/** Loading the oneDNN shim: a missing or broken library is a reason to fall back, not an error. */
import assert from "node:assert/strict";
import { loadOneDnn } from "./library.ts";

Deno.test("an absent shim gives the reason the engine stays on wasm", () => {
  const result = loadOneDnn(1, "/nonexistent/libllmseg_dnnl.so");
  assert.ok("reason" in result);
  assert.match(result.reason, /not built \(deploy\/setup\.sh builds it/);
});

Deno.test("a file that is not a shared library is refused with dlopen's reason", () => {
  const path = Deno.makeTempFileSync({ suffix: ".so" });
  try {
    Deno.writeTextFileSync(path, "not an ELF file");
    const result = loadOneDnn(1, path);
    assert.ok("reason" in result);
    assert.match(result.reason, /^cannot load .*\.so: /);
  } finally {
    Deno.removeSync(path);
  }
});
