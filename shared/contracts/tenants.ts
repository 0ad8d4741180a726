import { z } from "zod";

/** Operator request creating a tenant (`POST /v1/admin/tenants`). */
export const TenantCreate = z.object({
  name: z.string().min(1).max(100),
  /** Requests per minute across the tenant's keys. */
  rateLimitPerMinute: z.number().int().positive().max(1_000_000).default(600),
  /** Jobs queued or running at once. */
  maxConcurrentJobs: z.number().int().positive().max(1000).default(4),
});
export type TenantCreate = z.infer<typeof TenantCreate>;

export const Tenant = z.object({
  id: z.string(),
  name: z.string(),
  rateLimitPerMinute: z.number().int(),
  maxConcurrentJobs: z.number().int(),
  createdAt: z.string(),
});
export type Tenant = z.infer<typeof Tenant>;

/** A freshly minted API key: `key` is shown this once; only its SHA-256 is stored. */
export const ApiKeyCreated = z.object({
  id: z.string(),
  tenantId: z.string(),
  key: z.string(),
  createdAt: z.string(),
});
export type ApiKeyCreated = z.infer<typeof ApiKeyCreated>;
