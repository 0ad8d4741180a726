import type { RedisClient } from "./redis.ts";

/** A running shim: its base URL and how to stop it. */
export interface UpstashShim {
  url: string;
  token: string;
  close(): Promise<void>;
}

function encodeReply(value: unknown, base64: boolean): unknown {
  if (typeof value === "string" && base64) {
    return btoa(String.fromCharCode(...new TextEncoder().encode(value)));
  }
  if (Array.isArray(value)) return value.map((v) => encodeReply(v, base64));
  return value;
}

async function run(redis: RedisClient, command: unknown, base64: boolean): Promise<unknown> {
  if (!Array.isArray(command) || command.length === 0) return { error: "ERR bad command" };
  try {
    const [name, ...args] = command.map(String);
    return { result: encodeReply(await redis.send(name, ...args), base64) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * Serves the Upstash REST protocol (`POST /` one command, `/pipeline` and `/multi-exec` several,
 * Bearer token, `Upstash-Encoding: base64`) in front of a real Redis, so tests drive
 * @upstash/redis without the hosted service. For tests and local runs only.
 */
export function startUpstashShim(redis: RedisClient, token: string): UpstashShim {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    if (req.headers.get("authorization") !== `Bearer ${token}`) {
      return Response.json({ error: "Unauthorized" }, { status: 401 });
    }
    const base64 = req.headers.get("upstash-encoding") === "base64";
    const body: unknown = await req.json();
    const path = new URL(req.url).pathname;
    if (path === "/pipeline" || path === "/multi-exec") {
      if (!Array.isArray(body)) {
        return Response.json({ error: "ERR expected a list" }, { status: 400 });
      }
      const replies = [];
      for (const command of body) replies.push(await run(redis, command, base64));
      return Response.json(replies);
    }
    const reply = await run(redis, body, base64);
    return Response.json(reply, { status: "error" in (reply as object) ? 400 : 200 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    token,
    close: () => server.shutdown(),
  };
}
