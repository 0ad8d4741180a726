import { isIP } from "node:net";
import { UserError } from "../errors.ts";

/** Which targets a webhook may reach beyond public HTTPS addresses. */
export interface TargetPolicy {
  /** Allow 127.0.0.0/8 and ::1 (tests, local development). Default false. */
  allowLoopback?: boolean;
  /** Allow plain `http:` URLs. Default false. */
  allowHttp?: boolean;
}

function ipv4Blocked(ip: string, allowLoopback: boolean): string | undefined {
  const [a, b] = ip.split(".").map(Number);
  if (a === 127) return allowLoopback ? undefined : "loopback";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private";
  if (a === 100 && b >= 64 && b <= 127) return "private (carrier-grade NAT)";
  if (a === 169 && b === 254) return "link-local";
  if (a === 0 || a >= 224) return "reserved";
  return undefined;
}

/** Why `ip` may not be a webhook target, or undefined when it may. */
export function blockedReason(ip: string, policy: TargetPolicy = {}): string | undefined {
  const allowLoopback = policy.allowLoopback ?? false;
  if (isIP(ip) === 4) return ipv4Blocked(ip, allowLoopback);
  const lower = ip.toLowerCase();
  const mapped = lower.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
  if (mapped) return ipv4Blocked(mapped[1], allowLoopback);
  if (lower === "::1") return allowLoopback ? undefined : "loopback";
  if (lower === "::") return "reserved";
  if (/^f[cd]/.test(lower)) return "private (unique local)";
  if (/^fe[89ab]/.test(lower)) return "link-local";
  if (/^ff/.test(lower)) return "reserved";
  return undefined;
}

async function resolve(hostname: string): Promise<string[]> {
  if (isIP(hostname)) return [hostname];
  const found: string[] = [];
  for (const type of ["A", "AAAA"] as const) {
    try {
      found.push(...await Deno.resolveDns(hostname, type));
    } catch { /* no record of this type */ }
  }
  // Names the system resolver knows but DNS does not (e.g. localhost from /etc/hosts).
  if (found.length === 0 && hostname === "localhost") found.push("127.0.0.1");
  return found;
}

/**
 * The SSRF guard: resolves the URL's host and refuses it when any address is private, loopback,
 * link-local or reserved (unless `policy` allows loopback), or when the scheme is not HTTPS
 * (unless `policy` allows HTTP). Run at registration and again before every send, since DNS can
 * change in between.
 *
 * @example
 * ```ts
 * import { checkWebhookTarget } from "./ssrf.ts";
 * await checkWebhookTarget("http://127.0.0.1:9/hook", { allowLoopback: true, allowHttp: true });
 * ```
 */
export async function checkWebhookTarget(url: string, policy: TargetPolicy = {}): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError("invalid_webhook_url", `'${url}' is not a URL`);
  }
  if (parsed.protocol !== "https:" && !(policy.allowHttp && parsed.protocol === "http:")) {
    throw new UserError(
      "invalid_webhook_url",
      `webhook URLs must use https (got ${parsed.protocol})`,
    );
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const addresses = await resolve(host);
  if (addresses.length === 0) {
    throw new UserError("invalid_webhook_url", `webhook host '${host}' does not resolve`);
  }
  for (const ip of addresses) {
    const reason = blockedReason(ip, policy);
    if (reason) {
      throw new UserError(
        "webhook_target_refused",
        `webhook host '${host}' resolves to ${ip}, a ${reason} address; refused`,
      );
    }
  }
}
