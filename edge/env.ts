import type { Tenant } from "../shared/contracts/tenants.ts";
import type { BlobStore } from "../shared/blob/store.ts";
import type { RedisClient } from "../shared/queue/redis.ts";
import type { EdgeConfig } from "./config.ts";

/** What the edge runs on, injected so tests build it in-process against real parts. */
export interface EdgeDeps {
  redis: RedisClient;
  blob: BlobStore;
  config: EdgeConfig;
}

/** Hono environment of tenant routes: the authenticated tenant is on the context. */
export interface TenantEnv {
  Variables: { tenant: Tenant };
}
