import { isIP } from "node:net";
import { UserError } from "../errors.ts";

/** Looks a host name up: every A and AAAA address, as text. */
export type Resolver = (hostname: string) => Promise<string[]>;

/** Which targets a webhook may reach beyond public HTTPS addresses. */
export interface TargetPolicy {
  /** Allow 127.0.0.0/8 and ::1 (tests, local development). Default false. */
  allowLoopback?: boolean;
  /** Allow plain `http:` URLs. Default false. */
  allowHttp?: boolean;
  /** How host names are looked up; default the system's DNS (tests inject a table). */
  resolve?: Resolver;
  /** Extra root certificates (PEM) a receiver's TLS certificate may chain to (tests). */
  caCerts?: string[];
}

/** A target that passed the guard: the URL and the one address the request must go to. */
export interface CheckedTarget {
  url: URL;
  /** The checked address, connected to directly (never looked up again: no DNS rebinding). */
  address: string;
  port: number;
}

/** The policy the environment asks for: `LLMSEG_WEBHOOK_ALLOW_LOOPBACK=1` (local use, tests). */
export function webhookPolicyFromEnv(): TargetPolicy {
  const allowLoopback = Deno.env.get("LLMSEG_WEBHOOK_ALLOW_LOOPBACK") === "1";
  return { allowLoopback, allowHttp: allowLoopback };
}

function ipv4Blocked(bytes: number[], allowLoopback: boolean): string | undefined {
  const [a, b, c] = bytes;
  if (a === 127) return allowLoopback ? undefined : "loopback";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private";
  if (a === 100 && b >= 64 && b <= 127) return "private (carrier-grade NAT)";
  if (a === 169 && b === 254) return "link-local";
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return "reserved";
  if (a === 198 && (b === 18 || b === 19 || (b === 51 && c === 100))) return "reserved";
  if (a === 203 && b === 0 && c === 113) return "reserved";
  if (a === 0 || a >= 224) return "reserved";
  return undefined;
}

function ipv4Bytes(ip: string): number[] {
  return ip.split(".").map(Number);
}

/** The 16 bytes of an IPv6 address in any textual form (`::`, embedded dotted IPv4, any case). */
function ipv6Bytes(ip: string): number[] {
  let text = ip.toLowerCase().replace(/%.*$/, "");
  const dotted = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const [a, b, c, d] = ipv4Bytes(dotted[1]);
    text = text.slice(0, -dotted[1].length) +
      `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array(zeros).fill("0"), ...tailGroups].map((g) =>
    parseInt(g, 16)
  );
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** The IPv4 address an IPv6 one carries to an IPv4 host (mapped, compatible, NAT64, 6to4). */
function embeddedIpv4(bytes: number[]): number[] | undefined {
  const zero = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  if (zero(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12); // ::ffff:0:0/96
  if (zero(0, 12) && !zero(12, 16)) return bytes.slice(12); // ::a.b.c.d (deprecated compatible)
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b) {
    return bytes.slice(12); // 64:ff9b::/96 NAT64
  }
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6); // 2002::/16 6to4
  return undefined;
}

/**
 * Why `ip` may not be a webhook target, or undefined when it may. IPv6 is compared as its 16
 * bytes, so every spelling of an address (`::ffff:127.0.0.1`, `::ffff:7f00:1`, `0:0::ffff:…`)
 * is judged alike, and an IPv6 address that reaches an IPv4 host is judged by that host.
 */
export function blockedReason(ip: string, policy: TargetPolicy = {}): string | undefined {
  const allowLoopback = policy.allowLoopback ?? false;
  const family = isIP(ip);
  if (family === 4) return ipv4Blocked(ipv4Bytes(ip), allowLoopback);
  if (family !== 6) return "not an IP address";
  const bytes = ipv6Bytes(ip);
  if (bytes.slice(0, 15).every((b) => b === 0)) {
    if (bytes[15] === 1) return allowLoopback ? undefined : "loopback";
    if (bytes[15] === 0) return "reserved";
  }
  const v4 = embeddedIpv4(bytes);
  if (v4) return ipv4Blocked(v4, allowLoopback);
  if ((bytes[0] & 0xfe) === 0xfc) return "private (unique local)";
  if (bytes[0] === 0xfe && (bytes[1] & 0xc0) === 0x80) return "link-local";
  if (bytes[0] === 0xfe && (bytes[1] & 0xc0) === 0xc0) return "private (site-local)";
  if (bytes[0] === 0xff) return "reserved";
  if (bytes[0] === 0x20 && bytes[1] === 0x01 && bytes[2] === 0x0d && bytes[3] === 0xb8) {
    return "reserved (documentation)";
  }
  return undefined;
}

/** Every A and AAAA address of `hostname` from the system's DNS. */
export async function systemResolve(hostname: string): Promise<string[]> {
  const found: string[] = [];
  for (const type of ["A", "AAAA"] as const) {
    try {
      found.push(...await Deno.resolveDns(hostname, type));
    } catch { /* no record of this type */ }
  }
  // Names the system resolver knows but DNS does not (e.g. localhost from /etc/hosts).
  if (found.length === 0 && hostname === "localhost") found.push("127.0.0.1", "::1");
  return found;
}

/**
 * The SSRF guard: parses the URL (which already turns decimal, hex and octal IPv4 spellings into
 * dotted form), requires HTTPS (unless `policy` allows HTTP), resolves the host once and refuses
 * it when any address is private, loopback, link-local or reserved (unless `policy` allows
 * loopback). The answer names the address to connect to: a sender that connects there, rather
 * than looking the name up again, cannot be steered elsewhere by DNS rebinding.
 *
 * @example
 * ```ts
 * import { checkWebhookTarget } from "./ssrf.ts";
 * await checkWebhookTarget("http://127.0.0.1:9/hook", { allowLoopback: true, allowHttp: true });
 * ```
 */
export async function checkWebhookTarget(
  url: string,
  policy: TargetPolicy = {},
): Promise<CheckedTarget> {
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
  if (parsed.username || parsed.password) {
    throw new UserError("invalid_webhook_url", "webhook URLs must not carry credentials");
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host) ? [host] : await (policy.resolve ?? systemResolve)(host);
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
  const port = Number(parsed.port) || (parsed.protocol === "https:" ? 443 : 80);
  return { url: parsed, address: addresses[0], port };
}
