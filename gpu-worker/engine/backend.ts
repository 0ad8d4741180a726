/**
 * Backend selection at start-up (issue #3 item 1): tfjs-node-gpu where it is installed, else
 * WebGPU on a real (hardware) adapter, else the tfjs cpu backend with the fast kernels.
 */
import * as tf from "@tensorflow/tfjs";

/** A backend `initEngine` can select. */
export type BackendName = "cpu" | "webgpu" | "tfjs-node-gpu";

/** What `navigator.gpu` offers here, if anything. */
export interface GpuAdapterReport {
  /** Vendor/architecture/device/description joined, as the adapter reports them. */
  description: string;
  /** True for software or fallback adapters (llvmpipe, SwiftShader, lavapipe): slower than our CPU path. */
  software: boolean;
}

// Software rasterisers reached through wgpu's GL/Vulkan paths: slower than the wasm kernels.
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|softpipe|software|basic render/i;

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** Asks Deno's WebGPU for an adapter; undefined when there is none. */
export async function probeGpuAdapter(): Promise<GpuAdapterReport | undefined> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return undefined;
  let adapter: { info?: AdapterInfoLike; isFallbackAdapter?: boolean } | null;
  try {
    adapter = await gpu.requestAdapter() as typeof adapter;
  } catch {
    return undefined;
  }
  if (!adapter) return undefined;
  const info = adapter.info ?? {};
  const description = [info.vendor, info.architecture, info.device, info.description]
    .filter((s) => s && s.length > 0).join(" ") || "unknown adapter";
  const software = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) ||
    SOFTWARE_ADAPTER.test(description);
  return { description, software };
}

/**
 * Tries to load tfjs-node-gpu. The specifier is held in a variable so that neither `deno check`
 * nor the module graph requires the package: it is optional and cannot be installed offline.
 */
export async function tryTfjsNodeGpu(): Promise<boolean> {
  const specifier = "@tensorflow/tfjs-node-gpu";
  try {
    await import(specifier);
    return tf.getBackend() === "tensorflow" || await tf.setBackend("tensorflow");
  } catch {
    return false;
  }
}

/** Loads tfjs-backend-webgpu and makes it current; false when it cannot start. */
export async function tryWebGpu(): Promise<boolean> {
  try {
    await import("@tensorflow/tfjs-backend-webgpu");
    return await tf.setBackend("webgpu");
  } catch {
    return false;
  }
}
