/** Zod schemas for everything that crosses a process or network boundary; types inferred from them. */
export * from "./errors.ts";
export * from "./tenants.ts";
export * from "./scans.ts";
export * from "./datasets.ts";
export * from "./jobs.ts";
export * from "./inference.ts";
export * from "./events.ts";
export * from "./queue.ts";
export * from "./models.ts";
export * from "./webhooks.ts";
export * from "./descriptors.ts";
export * from "./train_config.ts";
export * from "./train_limits.ts";
