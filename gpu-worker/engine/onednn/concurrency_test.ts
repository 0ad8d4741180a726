/**
 * Several JS isolates of one process (Deno workers; `deno test --parallel` runs test files so)
 * share the oneDNN shim and its primitive cache. Convolutions of several shapes, run at once from
 * three workers, must give each worker the bits one caller alone gets: without the shim's lock one
 * isolate's data pointers could be swapped into another's cached primitive mid-call (a race: with
 * the lock removed this failed one run in three here, and a parallel test run that once grew
 * to 20 GB and hung plausibly met it).
 */
import assert from "node:assert/strict";
import { loadOneDnn } from "./library.ts";
import { type ConvJob, runJobs } from "./testing/conv_worker.ts";

/** A same-padded 3³ convolution of a [1, d, h, w, cin] input to cout channels. */
function job(d: number, h: number, w: number, cin: number, cout: number): ConvJob {
  return {
    params: [1, d, h, w, cin, d, h, w, cout, 3, 3, 3, 1, 1, 1, 1, 1, 1],
    aLength: d * h * w * cin,
    bLength: 27 * cin * cout,
    outLength: d * h * w * cout,
  };
}

const JOBS = [job(8, 12, 10, 4, 8), job(6, 6, 6, 16, 16), job(10, 8, 6, 2, 4), job(4, 8, 8, 8, 2)];
const loaded = loadOneDnn(1);
const skip = "reason" in loaded ? ` (skipped: ${loaded.reason})` : "";

Deno.test({
  name: `oneDNN shim: three workers at once get the bits of one caller alone${skip}`,
  ignore: skip !== "",
  async fn() {
    const expected = runJobs(JOBS, 1);
    const url = new URL("./testing/conv_worker.ts", import.meta.url);
    const workers = Array.from({ length: 3 }, () => new Worker(url, { type: "module" }));
    try {
      const results = await Promise.all(
        workers.map((worker) =>
          new Promise<Float32Array[]>((resolve, reject) => {
            worker.onmessage = (event) => resolve(event.data);
            worker.onerror = (event) => {
              event.preventDefault();
              reject(new Error(event.message));
            };
            worker.postMessage({ jobs: JOBS, rounds: 60 });
          })
        ),
      );
      for (const [w, outputs] of results.entries()) {
        for (const [j, out] of outputs.entries()) {
          assert.deepEqual(out, expected[j], `worker ${w}, convolution ${j}`);
        }
      }
    } finally {
      for (const worker of workers) worker.terminate();
    }
  },
});
