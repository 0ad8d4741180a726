import { z } from "zod";

/**
 * What one tenant's jobs and uploads may ask for, set by the operator. The defaults admit every
 * shipped preset (LA 112×112×80 patches, BraTS 30 000 iterations) and scans up to 2^26 voxels
 * (256 MiB as float32), and stop anything that would hold a worker for days.
 */
export const TenantLimits = z.object({
  /** Largest `maxIterations` of a training job. */
  maxIterations: z.number().int().positive().default(30_000),
  /** Largest training patch, in voxels (product of its three sides). */
  maxPatchVoxels: z.number().int().positive().default(128 ** 3),
  /** Largest network width (`nFilters`). */
  maxFilters: z.number().int().positive().default(32),
  /** Longest a job may run on a worker (per attempt), in seconds; then it fails. */
  maxWallSeconds: z.number().int().positive().default(72 * 3600),
  /** Largest scan (voxels × channels) an upload may declare. */
  maxScanVoxels: z.number().int().positive().default(2 ** 26),
});
export type TenantLimits = z.infer<typeof TenantLimits>;

/** Operator request creating a tenant (`POST /v1/admin/tenants`). */
export const TenantCreate = z.object({
  name: z.string().min(1).max(100),
  /** Requests per minute across the tenant's keys. */
  rateLimitPerMinute: z.number().int().positive().max(1_000_000).default(600),
  /** Jobs queued or running at once. */
  maxConcurrentJobs: z.number().int().positive().max(1000).default(4),
  limits: TenantLimits.default(TenantLimits.parse({})),
});
export type TenantCreate = z.infer<typeof TenantCreate>;

export const Tenant = z.object({
  id: z.string(),
  name: z.string(),
  rateLimitPerMinute: z.number().int(),
  maxConcurrentJobs: z.number().int(),
  /** Tenants stored before limits existed read with the defaults. */
  limits: TenantLimits.default(TenantLimits.parse({})),
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

/** One API key as listed (`GET /v1/admin/tenants/{id}/keys`): never the key itself. */
export const ApiKeyInfo = z.object({ id: z.string(), tenantId: z.string(), createdAt: z.string() });
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;
