/** The Hono edge: `createApp(deps)` builds the `/v1` API; the start script serves it. */
export { createApp } from "./app.ts";
export { type EdgeConfig, edgeConfig } from "./config.ts";
export type { EdgeDeps, TenantEnv } from "./env.ts";
