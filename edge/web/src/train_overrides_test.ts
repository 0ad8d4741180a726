import { deepEqual, throws } from "node:assert/strict";
import { trainOverrides } from "./train_overrides.ts";

Deno.test("trainOverrides: filled fields override their config keys, blank ones the preset's", () => {
  deepEqual(trainOverrides({ iterations: " 120 ", width: "", validateEvery: "" }), {
    maxIterations: 120,
  });
  deepEqual(trainOverrides({ iterations: "", width: "4", validateEvery: "20" }), {
    nFilters: 4,
    validateEvery: 20,
  });
  deepEqual(trainOverrides({ iterations: "", width: "", validateEvery: "" }), {});
});

Deno.test("trainOverrides names a field that is not a positive whole number", () => {
  throws(
    () => trainOverrides({ iterations: "2.5", width: "", validateEvery: "" }),
    /iterations .* '2\.5'/,
  );
  throws(() => trainOverrides({ iterations: "", width: "0", validateEvery: "" }), /width/);
});
