/**
 * `llmseg doctor`: which compute backend this machine gets (issue #4, issue #3 item 1), with the
 * CPU kernel threads, WebAssembly SIMD / relaxed-SIMD support and the WebGPU adapter, if any.
 */
import { UserError } from "@llmseg/shared";
import { type Command, parseOptions } from "../command.ts";
import {
  CPU_ENGINES,
  type CpuEngineChoice,
  type EngineInfo,
  initEngine,
  shutdownEngine,
} from "../../engine/mod.ts";

const BACKENDS = ["auto", "cpu", "webgpu", "tfjs-node-gpu"] as const;

const usage =
  `usage: llmseg doctor [--backend <auto|cpu|webgpu|tfjs-node-gpu>] [--engine <auto|onednn|wasm>]
                     [--threads <n>] [--json]

  Selects the backend as training and inference do and reports what it found.
  --backend   backend to try (default auto: tfjs-node-gpu, a hardware WebGPU adapter, else cpu)
  --engine    who runs the CPU convolutions (default auto, or LLMSEG_ENGINE: oneDNN where the
              shim deploy/setup.sh builds loads, else the WebAssembly kernels)
  --threads   CPU kernel threads (default: all cores)
  --json      print the report as JSON`;

function describe(info: EngineInfo): string {
  const adapter = info.gpuAdapter
    ? `${info.gpuAdapter.description}${
      info.gpuAdapter.software ? " (software adapter: auto skips it)" : ""
    }`
    : "none";
  return [
    `backend         ${info.backend}`,
    `CPU engine      ${
      info.cpuEngine === "wasm"
        ? `wasm (oneDNN not used: ${info.oneDnnUnavailable})`
        : info.cpuEngine === "onednn"
        ? "onednn (native: convolutions and matMul; wasm: the rest)"
        : "none"
    }`,
    `threads         ${info.threads}`,
    `wasm SIMD128    ${info.simd ? "yes" : "no"}`,
    `relaxed SIMD    ${info.relaxedSimd ? "yes" : "no"}`,
    `kernel module   ${info.variant}`,
    `fast kernels    ${info.kernels.length > 0 ? info.kernels.join(", ") : "none"}`,
    `GPU adapter     ${adapter}`,
  ].join("\n");
}

export const doctorCommand: Command = {
  name: "doctor",
  summary: "report the compute backend, threads, SIMD support and GPU adapter",
  usage,
  async run(args: string[]): Promise<number> {
    const { values } = parseOptions(args, {
      backend: { type: "string" },
      engine: { type: "string" },
      threads: { type: "string" },
      json: { type: "boolean" },
    }, usage);
    const backend = values.backend ?? "auto";
    if (!(BACKENDS as readonly string[]).includes(backend)) {
      throw new UserError(
        "bad_option",
        `--backend must be one of ${BACKENDS.join(", ")}\n\n${usage}`,
      );
    }
    const engine = values.engine;
    if (engine !== undefined && !(CPU_ENGINES as readonly string[]).includes(engine)) {
      throw new UserError(
        "bad_option",
        `--engine must be one of ${CPU_ENGINES.join(", ")}\n\n${usage}`,
      );
    }
    const threads = values.threads === undefined ? undefined : Number(values.threads);
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 256)) {
      throw new UserError(
        "bad_option",
        `--threads must be an integer 1..256, got '${values.threads}'`,
      );
    }
    let info: EngineInfo;
    try {
      info = await initEngine({
        backend: backend as typeof BACKENDS[number],
        threads,
        cpuEngine: engine as CpuEngineChoice | undefined,
      });
    } catch (error) {
      throw new UserError("backend_unavailable", `${backend}: ${(error as Error).message}`);
    } finally {
      shutdownEngine();
    }
    console.log(values.json ? JSON.stringify(info, null, 2) : describe(info));
    return 0;
  },
};
