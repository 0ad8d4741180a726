/** Redis adapters (TCP and Upstash REST behind {@link RedisClient}) and the job queue built on them. */
export { pairsToRecord, parseEntries, type RedisClient, type StreamEntry } from "./redis.ts";
export { connectTcp } from "./tcp.ts";
export { connectRest } from "./rest.ts";
export { keys, workerGroup } from "./keys.ts";
export { getDocument, putDocument } from "./documents.ts";
export { newId } from "./ids.ts";
export { JobStore, type StoredEvent, type Submitted, type TransitionFields } from "./jobs.ts";
export { type Delivery, type Reclaimed, WorkStreams } from "./work_stream.ts";
export { startUpstashShim, type UpstashShim } from "./upstash_shim.ts";
export { ModelRegistry } from "./models.ts";
export { resolveDescriptorSet } from "./descriptor_sets.ts";
