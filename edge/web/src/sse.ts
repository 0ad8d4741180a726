/**
 * A Server-Sent Events reader over `fetch`, because `EventSource` cannot send the
 * `Authorization` header the edge requires. It parses the text/event-stream format (WHATWG HTML
 * §9.2.6) and resumes after a dropped connection with `Last-Event-ID`.
 */

/** One dispatched event: `id` is the last `id:` seen (the Redis stream id on this edge). */
export interface StreamEvent {
  id: string;
  event: string;
  data: string;
}

/**
 * Incremental parser: feed it decoded text chunks as they arrive; it returns the events completed
 * by each chunk. Lines may be split anywhere across chunks.
 */
export class EventStreamParser {
  #buffer = "";
  #lastId = "";
  #event = "";
  #data: string[] = [];

  /** Id of the last event dispatched (or seen), for `Last-Event-ID` on reconnect. */
  get lastEventId(): string {
    return this.#lastId;
  }

  push(chunk: string): StreamEvent[] {
    this.#buffer += chunk;
    const events: StreamEvent[] = [];
    let newline: number;
    while ((newline = this.#buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.#buffer.slice(0, newline);
      const width = this.#buffer.startsWith("\r\n", newline) ? 2 : 1;
      // A lone "\r" at the end may be the first half of "\r\n": wait for the next chunk.
      if (width === 1 && this.#buffer[newline] === "\r" && newline === this.#buffer.length - 1) {
        break;
      }
      this.#buffer = this.#buffer.slice(newline + width);
      const event = this.#line(line);
      if (event) events.push(event);
    }
    return events;
  }

  #line(line: string): StreamEvent | undefined {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) return undefined; // comment / keep-alive
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
    else if (field === "id" && !value.includes("\0")) this.#lastId = value;
    return undefined;
  }

  #dispatch(): StreamEvent | undefined {
    const event = this.#data.length
      ? { id: this.#lastId, event: this.#event || "message", data: this.#data.join("\n") }
      : undefined;
    this.#data = [];
    this.#event = "";
    return event;
  }
}

/** Options of {@link followEventStream}. */
export interface FollowOptions {
  headers: Record<string, string>;
  signal: AbortSignal;
  onEvent(event: StreamEvent): void;
  /** Return true to stop following (e.g. after a final status). */
  isDone(): boolean;
  /** Wait before reconnecting after a dropped connection; default 1000 ms. */
  retryMs?: number;
}

/**
 * Follows `url` until `isDone()` or `signal` aborts, reconnecting with `Last-Event-ID` so no event
 * is lost or repeated. A non-2xx answer ends it with an error (a 4xx will not heal by retrying).
 */
export async function followEventStream(url: string, options: FollowOptions): Promise<void> {
  const parser = new EventStreamParser();
  while (!options.isDone() && !options.signal.aborted) {
    const headers: Record<string, string> = { ...options.headers, accept: "text/event-stream" };
    if (parser.lastEventId) headers["last-event-id"] = parser.lastEventId;
    try {
      const response = await fetch(url, { headers, signal: options.signal });
      if (!response.ok || !response.body) {
        throw new Error(`event stream ${url} answered ${response.status}`);
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const event of parser.push(value)) options.onEvent(event);
        if (options.isDone()) {
          await reader.cancel();
          return;
        }
      }
    } catch (error) {
      if (options.signal.aborted) return;
      if (error instanceof Error && error.message.startsWith("event stream")) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 1000));
  }
}
