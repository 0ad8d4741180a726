/**
 * Persistence of the learning core: safetensors files, resumable training checkpoints, model
 * folders (model.json + weights.safetensors + knowledge.json) and PyTorch weight import.
 */
export {
  decodeSafetensors,
  encodeSafetensors,
  float32Entry,
  readSafetensors,
  type SafetensorsDtype,
  type SafetensorsFile,
  type TensorEntry,
  toFloat32,
  writeSafetensors,
} from "./safetensors.ts";
export { entriesWithPrefix, loadState, stateToEntries } from "./state.ts";
export {
  type LoadedTrainingCheckpoint,
  loadTrainingCheckpoint,
  saveTrainingCheckpoint,
  type TrainingCheckpoint,
} from "./training_checkpoint.ts";
export {
  type KnowledgeFile,
  KnowledgeFileSchema,
  knowledgeMismatch,
  type KnowledgeReference,
  knowledgeReference,
  KnowledgeReferenceSchema,
  knowledgeVectorHash,
  type Member,
  MemberSchema,
  type ModelManifest,
  ModelManifestSchema,
} from "./model_manifest.ts";
export { type LoadedModel, loadModelFolder, saveModelFolder } from "./model_folder.ts";
export { importTorchWeights } from "./torch_import.ts";
