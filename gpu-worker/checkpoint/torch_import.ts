/**
 * Imports PyTorch weights of the lineage networks from safetensors: the UA-MT V-Net state dict
 * (`networks/vnet.py` names, with or without BCP's `encoder.`/`decoder.` prefixes, or a
 * DataParallel `module.` prefix) and the SSL4MIS `unet_3D`. PyTorch layouts are NCDHW: Conv3d
 * weights `[Cout, Cin, k, k, k]`, ConvTranspose3d `[Cin, Cout, k, k, k]`; they are transposed to
 * tfjs's `[k, k, k, Cin, Cout]` and `[2, 2, 2, Cout, Cin]` (PyTorch D = volume axis i = tfjs X).
 */
import { UserError } from "@llmseg/shared";
import { type NetworkConfigInput, NetworkConfigSchema } from "../networks/config.ts";
import { torchConvToTfjs, torchDeconvToTfjs } from "../networks/layers.ts";
import { createNetwork, type SegmentationNetwork } from "../networks/network.ts";
import { float32Entry, type SafetensorsFile, type TensorEntry, toFloat32 } from "./safetensors.ts";
import { loadState } from "./state.ts";

/** Keys that fix width, input channels (first conv) and classes (last conv) per architecture. */
const ANCHORS = {
  vnet: { first: "block_one.conv.0.weight", last: "out_conv.weight" },
  unet3d: { first: "conv1.conv1.0.weight", last: "final.weight" },
} as const;

/** Wrapper prefixes stripped from key names (DataParallel, BCP's encoder/decoder split). */
const PREFIXES = ["module.", "encoder.", "decoder."];

/**
 * Builds a network (eval-ready; config inferred from the weights, no text branch) holding the
 * PyTorch weights. `settings` sets what the weights do not fix (dropout, say, for training on).
 * Throws a UserError naming `source` for a state dict of another shape or architecture.
 */
export function importTorchWeights(
  file: SafetensorsFile,
  arch: "vnet" | "unet3d",
  source: string,
  settings: Pick<NetworkConfigInput, "dropout"> = {},
): SegmentationNetwork {
  const state = new Map<string, TensorEntry>();
  for (const [key, entry] of file.tensors) {
    if (key.endsWith(".num_batches_tracked")) continue;
    let name = key;
    for (const prefix of PREFIXES) if (name.startsWith(prefix)) name = name.slice(prefix.length);
    if (state.has(name)) {
      throw new UserError("incompatible_weights", `${source}: ${name} appears twice`);
    }
    state.set(name, entry);
  }
  const anchor = (key: string): number[] => {
    const entry = state.get(key);
    if (entry === undefined || entry.shape.length !== 5) {
      throw new UserError(
        "incompatible_weights",
        `${source}: not a PyTorch ${arch} state dict (no 5-D ${key}; found ${
          [...state.keys()].slice(0, 3).join(", ")
        }, …)`,
      );
    }
    return entry.shape;
  };
  const [width, inChannels] = anchor(ANCHORS[arch].first);
  const [classes] = anchor(ANCHORS[arch].last);
  const network = createNetwork(
    NetworkConfigSchema.parse({ ...settings, arch, width, inChannels, classes }),
    0,
  );
  try {
    const converted = new Map<string, TensorEntry>();
    for (const [name, entry] of state) converted.set(name, toTfjsLayout(name, entry));
    loadState(network.namedState(), converted, source);
  } catch (error) {
    network.dispose();
    throw error;
  }
  return network;
}

/** One PyTorch tensor → tfjs layout (5-D conv and up-conv weights transposed). */
function toTfjsLayout(name: string, entry: TensorEntry): TensorEntry {
  const values = toFloat32(entry);
  if (entry.shape.length !== 5) return float32Entry(entry.shape, values);
  const [d0, d1, k] = entry.shape;
  if (/_up\.conv\.0\.weight$/.test(name)) {
    // ConvTranspose3d [Cin, Cout, 2, 2, 2] → [2, 2, 2, Cout, Cin].
    return float32Entry([k, k, k, d1, d0], torchDeconvToTfjs(values, d0, d1));
  }
  return float32Entry([k, k, k, d1, d0], torchConvToTfjs(values, d0, d1, k));
}
