/**
 * Test fixtures of model folders: a stand-in knowledge vector, a tiny V-Net configuration with a
 * text branch, the manifest of a pair of them, and the pair itself.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "@llmseg/shared";
import {
  createNetwork,
  type NetworkConfig,
  NetworkConfigSchema,
  type SegmentationNetwork,
} from "../networks/mod.ts";
import { saveModelFolder } from "./model_folder.ts";
import {
  type KnowledgeFile,
  knowledgeReference,
  type Member,
  type ModelManifest,
} from "./model_manifest.ts";

/** A made-up knowledge vector of the "la" set (768 values, not from any encoder). */
export const testKnowledge: KnowledgeFile = {
  schema: "llmseg.knowledge/v1",
  descriptorSetId: "la",
  descriptorSetHash: "sha256:" + "ab".repeat(32),
  encoder: "test vector",
  source: "stand-in",
  hash: "sha256:" + "cd".repeat(32),
  vector: Array.from({ length: 768 }, (_, i) => Math.fround(Math.sin(i))),
};

/** A width-2 V-Net whose text branch weighs in strongly (beta 0.5). */
export const testNetworkConfig: NetworkConfig = NetworkConfigSchema.parse({
  arch: "vnet",
  width: 2,
  beta: 0.5,
  textHidden: 4,
});

/** `model.json` of a trained pair of {@link testNetworkConfig} networks. */
export const testManifest: ModelManifest = {
  schema: "llmseg.model/v1",
  network: testNetworkConfig,
  members: ["a", "b"],
  patch: [16, 16, 16],
  stride: [8, 8, 8],
  preprocessing: { normalization: { clipPercentiles: [0, 99.9], zscore: "nonzero" } },
  knowledge: knowledgeReference(testKnowledge),
  origin: { kind: "trained", iteration: 2 },
  createdAt: new Date(0).toISOString(),
};

/**
 * The pair of {@link testManifest}, each network's BN running statistics moved off 0/1 by one
 * training-mode forward (so a save or load that dropped them would show). The caller disposes.
 */
export function trainedTestPair(): Map<Member, SegmentationNetwork> {
  const vector = Float32Array.from(testKnowledge.vector);
  const pair = new Map<Member, SegmentationNetwork>([
    ["a", createNetwork(testNetworkConfig, 1, vector)],
    ["b", createNetwork(testNetworkConfig, 2, vector)],
  ]);
  const x = tf.randomNormal([1, 16, 16, 16, 1], 3, 2, "float32", 4) as tf.Tensor5D;
  for (const [i, network] of [...pair.values()].entries()) {
    network.apply(x, { training: true, rng: new Rng(i) }).dispose();
  }
  x.dispose();
  return pair;
}

/** Writes the model folder of {@link testManifest} with a {@link trainedTestPair} into `dir`. */
export async function writeTestModelFolder(dir: string): Promise<void> {
  const pair = trainedTestPair();
  try {
    await saveModelFolder(dir, testManifest, pair, testKnowledge);
  } finally {
    pair.forEach((network) => network.dispose());
  }
}
