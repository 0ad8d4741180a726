/**
 * A Web Worker for concurrency_test.ts: runs the given convolutions through its own handle on the
 * shared oneDNN shim and posts the outputs back.
 */
import { ConvKind, loadOneDnn } from "../library.ts";

/** One convolution: the shim's 18-int params and its input lengths. */
export interface ConvJob {
  params: number[];
  aLength: number;
  bLength: number;
  outLength: number;
}

/** Deterministic inputs of a job, the same in every isolate. */
export function jobInputs(job: ConvJob, seed: number): [Float32Array, Float32Array] {
  const fill = (n: number, s: number) =>
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + s) * 0.5);
  return [fill(job.aLength, seed), fill(job.bLength, seed + 1)];
}

/** Runs `jobs` `rounds` times (forward convolutions), returning the last round's outputs. */
export function runJobs(jobs: ConvJob[], rounds: number): Float32Array[] {
  const loaded = loadOneDnn(1);
  if ("reason" in loaded) throw new Error(`oneDNN shim: ${loaded.reason}`);
  const { library } = loaded;
  let outputs: Float32Array[] = [];
  for (let round = 0; round < rounds; round++) {
    outputs = jobs.map((job, j) => {
      const [a, b] = jobInputs(job, j);
      const out = new Float32Array(job.outLength);
      const ok = library.conv3d(ConvKind.forward, Int32Array.from(job.params), a, b, out);
      if (!ok) throw new Error(`conv3d refused job ${j}`);
      return out;
    });
  }
  return outputs;
}

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
};
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  scope.onmessage = (event: MessageEvent<{ jobs: ConvJob[]; rounds: number }>) => {
    scope.postMessage(runJobs(event.data.jobs, event.data.rounds));
  };
}
