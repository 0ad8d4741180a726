/**
 * Every Redis key the service uses, in one place. Tenant state lives under `t:{tenantId}:…` so a
 * lookup built from a tenant id can never reach another tenant's data; work streams are global per
 * job kind (a worker cannot block on an unbounded set of per-tenant streams).
 */
import type { JobKind } from "../contracts/jobs.ts";

export const keys = {
  tenants: "tenants",
  tenant: (tid: string): string => `t:${tid}:meta`,
  /** API key by the SHA-256 of its secret. */
  apiKey: (hash: string): string => `apikey:${hash}`,
  /** The tenant's keys: key id → SHA-256 of the key (to list and revoke them). */
  tenantKeys: (tid: string): string => `t:${tid}:keys`,
  job: (tid: string, jid: string): string => `t:${tid}:job:${jid}`,
  jobEvents: (tid: string, jid: string): string => `t:${tid}:job:${jid}:ev`,
  jobs: (tid: string): string => `t:${tid}:jobs`,
  activeJobs: (tid: string): string => `t:${tid}:active`,
  idempotency: (tid: string, key: string): string => `t:${tid}:idem:${key}`,
  rate: (tid: string, window: number): string => `t:${tid}:rl:${window}`,
  scan: (tid: string, id: string): string => `t:${tid}:scan:${id}`,
  scans: (tid: string): string => `t:${tid}:scans`,
  dataset: (tid: string, id: string): string => `t:${tid}:dataset:${id}`,
  datasets: (tid: string): string => `t:${tid}:datasets`,
  descriptorSet: (tid: string, id: string): string => `t:${tid}:descriptor:${id}`,
  descriptorSets: (tid: string): string => `t:${tid}:descriptors`,
  model: (tid: string, id: string): string => `t:${tid}:model:${id}`,
  models: (tid: string): string => `t:${tid}:models`,
  modelSequence: (tid: string): string => `t:${tid}:model-seq`,
  webhook: (tid: string, id: string): string => `t:${tid}:webhook:${id}`,
  webhooks: (tid: string): string => `t:${tid}:webhooks`,
  delivery: (tid: string, id: string): string => `t:${tid}:delivery:${id}`,
  deliveries: (tid: string): string => `t:${tid}:deliveries`,
  /** Deliveries due, scored by due time (ms); members `{tenantId}/{deliveryId}`. */
  webhooksDue: "webhooks:due",
  workStream: (kind: JobKind): string => `q:${kind}`,
  deadLetters: "q:dead",
} as const;

/** The consumer group every worker joins on every work stream. */
export const workerGroup = "workers";
