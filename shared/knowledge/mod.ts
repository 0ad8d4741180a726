/**
 * Task knowledge (docs/METHOD.md 1.3, 3.3): prompt templates, LLM descriptor sets, their generation
 * against an OpenAI-compatible endpoint, BERT embedding from a local model folder, and the 768-d
 * knowledge vector a training config uses.
 */
export {
  type DescriptorSet,
  descriptorSetHash,
  descriptorSetPath,
  descriptorSetSchema,
  type DescriptorSetSummary,
  listDescriptorSets,
  loadDescriptorSet,
  parseDescriptorSet,
  saveDescriptorSet,
  setIdSchema,
  wordCount,
} from "./descriptor_set.ts";
export { listPrompts, loadPrompt, type PromptTemplate, renderPrompt } from "./prompts.ts";
export { generateDescriptors, type GenerateDescriptorsOptions } from "./generate.ts";
export { BERT_FILES, type BertFolder, KNOWLEDGE_DIM, openBertFolder } from "./bert_folder.ts";
export { defaultKnowledgeCacheDir, embedDescriptorSet, type EmbedOptions } from "./embed.ts";
export { type KnowledgeOptions, knowledgeVectorFor, standInKnowledge } from "./knowledge_vector.ts";
export {
  type KnowledgeRecord,
  knowledgeRecordSchema,
  type KnowledgeVector,
  readKnowledgeRecord,
  toKnowledgeRecord,
  writeKnowledgeRecord,
} from "./knowledge_record.ts";
export {
  DEFAULT_BERT_SOURCE,
  type FetchedFile,
  parseSha256Sums,
  setupBertModel,
  type SetupModelOptions,
} from "./setup_model.ts";
