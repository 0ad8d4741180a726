import { UserError } from "../../shared/errors.ts";

/**
 * Uploads in flight per tenant on this edge process: each holds a socket and a spool file, so a
 * tenant holding hundreds open cannot exhaust the process's file handles.
 */
export class UploadSlots {
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly perTenant: number) {}

  /** Runs `upload` in one of the tenant's slots; 429 `too_many_uploads` when none is free. */
  async run<T>(tenantId: string, upload: () => Promise<T>): Promise<T> {
    const held = this.inFlight.get(tenantId) ?? 0;
    if (held >= this.perTenant) {
      throw new UserError(
        "too_many_uploads",
        `${held} uploads of this tenant are in flight (at most ${this.perTenant}); retry when one ends`,
      );
    }
    this.inFlight.set(tenantId, held + 1);
    try {
      return await upload();
    } finally {
      const left = (this.inFlight.get(tenantId) ?? 1) - 1;
      if (left === 0) this.inFlight.delete(tenantId);
      else this.inFlight.set(tenantId, left);
    }
  }
}
