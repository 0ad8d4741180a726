import type { CheckedTarget } from "./ssrf.ts";

/** What a receiver answered: the status and the `Retry-After` header, if any. */
export interface PostAnswer {
  status: number;
  retryAfter?: string;
}

/** How {@link postToCheckedTarget} connects. */
export interface PinnedPostOptions {
  timeoutMs: number;
  /** Extra root certificates (PEM) the receiver's certificate may chain to. */
  caCerts?: string[];
}

const maxHeaderBytes = 16 * 1024;
const encoder = new TextEncoder();

/** Reads until the end of a response head (skipping 1xx heads); throws past 16 KiB. */
async function readHead(conn: Deno.Conn): Promise<PostAnswer> {
  let buffered = new Uint8Array(0);
  const chunk = new Uint8Array(4096);
  while (true) {
    const text = new TextDecoder().decode(buffered);
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
      const match = statusLine.match(/^HTTP\/1\.[01] (\d{3})/);
      if (!match) throw new Error(`not an HTTP/1.x answer: '${statusLine.slice(0, 80)}'`);
      const status = Number(match[1]);
      if (status >= 100 && status < 200) {
        buffered = buffered.subarray(encoder.encode(text.slice(0, end + 4)).length);
        continue;
      }
      const retryAfter = lines.find((l) => /^retry-after:/i.test(l))?.replace(/^[^:]*:\s*/, "");
      return { status, retryAfter };
    }
    if (buffered.length > maxHeaderBytes) throw new Error("the answer's header exceeds 16 KiB");
    const n = await conn.read(chunk);
    if (n === null) throw new Error("the receiver closed the connection before answering");
    const grown = new Uint8Array(buffered.length + n);
    grown.set(buffered);
    grown.set(chunk.subarray(0, n), buffered.length);
    buffered = grown;
  }
}

/**
 * POSTs `body` to a target the SSRF guard checked, over a connection to the checked address
 * itself: TLS is negotiated with the URL's host name (SNI and certificate check), and the `Host`
 * header is the URL's, but no second DNS lookup happens, so a name that re-resolves elsewhere
 * (DNS rebinding) cannot redirect the request. HTTP/1.1 with `Connection: close`; only the status
 * and `Retry-After` are read. Redirects are answers like any other: never followed.
 */
export async function postToCheckedTarget(
  target: CheckedTarget,
  headers: Record<string, string>,
  body: string,
  options: PinnedPostOptions,
): Promise<PostAnswer> {
  const payload = encoder.encode(body);
  let conn: Deno.Conn | undefined;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn?.close();
    } catch { /* already closed */ }
  }, options.timeoutMs);
  try {
    const tcp = await Deno.connect({ hostname: target.address, port: target.port });
    conn = tcp;
    if (target.url.protocol === "https:") {
      conn = await Deno.startTls(tcp, {
        hostname: target.url.hostname.replace(/^\[|\]$/g, ""),
        caCerts: options.caCerts,
      });
    }
    const head = [
      `POST ${target.url.pathname}${target.url.search} HTTP/1.1`,
      `host: ${target.url.host}`,
      `content-length: ${payload.length}`,
      "connection: close",
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ].join("\r\n");
    const request = encoder.encode(`${head}\r\n\r\n`);
    for (const part of [request, payload]) {
      let written = 0;
      while (written < part.length) written += await conn.write(part.subarray(written));
    }
    return await readHead(conn);
  } catch (error) {
    if (timedOut) throw new Error(`no answer within ${options.timeoutMs} ms`);
    throw error;
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch { /* already closed */ }
  }
}
