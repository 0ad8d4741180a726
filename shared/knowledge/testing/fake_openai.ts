/**
 * A local HTTP server that speaks the OpenAI chat-completions protocol (`POST /v1/chat/completions`
 * with Bearer auth, JSON bodies, `chat.completion` answers and `{error: {...}}` failures), so tests
 * drive the real openai client over real HTTP. Each request takes the next scripted reply; the
 * server records every request for assertions.
 */

/** One scripted reply of the fake endpoint. */
export type FakeReply =
  /** A successful completion whose message content is `JSON.stringify(json)`. */
  | { json: unknown }
  /** A successful completion with raw message content (for malformed answers). */
  | { content: string; finishReason?: "stop" | "length" }
  /** A structured-output refusal. */
  | { refusal: string }
  /** An error status with an OpenAI error body; `retryAfterMs` sets `retry-after-ms`. */
  | { status: number; retryAfterMs?: number }
  /** Holds the request open for `delayMs` and then answers with a server error. */
  | { delayMs: number };

/** A request the fake received. */
export interface FakeRequest {
  authorization: string | null;
  body: {
    model: string;
    messages: { role: string; content: string }[];
    response_format?: {
      type: string;
      json_schema?: { name: string; strict?: boolean; schema: Record<string, unknown> };
    };
  };
}

/** A running fake endpoint. */
export interface FakeOpenAI {
  /** Base URL to hand to the client, ending in `/v1`. */
  baseURL: string;
  /** The key it accepts; any other key gets a 401. */
  apiKey: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

function errorResponse(status: number, message: string, headers: HeadersInit = {}): Response {
  const type = status === 401 ? "invalid_request_error" : status === 429 ? "rate_limit" : "server";
  return Response.json(
    { error: { message, type, param: null, code: status === 401 ? "invalid_api_key" : null } },
    { status, headers },
  );
}

function completion(
  model: string,
  message: { content: string | null; refusal: string | null },
  finishReason: string,
): Response {
  return Response.json({
    id: `chatcmpl-fake-${crypto.randomUUID()}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: `${model}-fake`,
    choices: [{
      index: 0,
      message: { role: "assistant", ...message },
      finish_reason: finishReason,
      logprobs: null,
    }],
    usage: { prompt_tokens: 100, completion_tokens: 1000, total_tokens: 1100 },
  });
}

async function reply(
  script: FakeReply,
  model: string,
  delays: Set<() => void>,
): Promise<Response> {
  if ("json" in script) {
    return completion(model, { content: JSON.stringify(script.json), refusal: null }, "stop");
  }
  if ("content" in script) {
    const finish = script.finishReason ?? "stop";
    return completion(model, { content: script.content, refusal: null }, finish);
  }
  if ("refusal" in script) {
    return completion(model, { content: null, refusal: script.refusal }, "stop");
  }
  if ("status" in script) {
    const headers: Record<string, string> = script.retryAfterMs === undefined
      ? {}
      : { "retry-after-ms": String(script.retryAfterMs) };
    return errorResponse(script.status, `scripted ${script.status}`, headers);
  }
  // A held request ends at its delay or when the fake closes, whichever comes first.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, script.delayMs);
    function done(): void {
      clearTimeout(timer);
      delays.delete(done);
      resolve();
    }
    delays.add(done);
  });
  return errorResponse(500, "too late");
}

/**
 * Starts the fake on a free local port. Requests beyond the script get a 500 (so a test that
 * retries more than it planned fails visibly).
 */
export function startFakeOpenAI(script: FakeReply[]): FakeOpenAI {
  const apiKey = "sk-fake-test-key";
  const requests: FakeRequest[] = [];
  const queue = [...script];
  const delays = new Set<() => void>();
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const url = new URL(req.url);
    if (req.method !== "POST" || url.pathname !== "/v1/chat/completions") {
      return errorResponse(404, `unknown route ${req.method} ${url.pathname}`);
    }
    const authorization = req.headers.get("authorization");
    const body = await req.json() as FakeRequest["body"];
    requests.push({ authorization, body });
    if (authorization !== `Bearer ${apiKey}`) {
      return errorResponse(401, "Incorrect API key provided");
    }
    const next = queue.shift();
    if (!next) return errorResponse(500, "the fake has no more scripted replies");
    return await reply(next, body.model, delays);
  });
  return {
    baseURL: `http://127.0.0.1:${server.addr.port}/v1`,
    apiKey,
    requests,
    close: async () => {
      for (const release of [...delays]) release();
      await server.shutdown();
    },
  };
}
