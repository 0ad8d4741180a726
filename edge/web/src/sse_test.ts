import { deepEqual } from "node:assert/strict";
import { EventStreamParser } from "./sse.ts";

Deno.test("EventStreamParser dispatches on a blank line and keeps the last id", () => {
  const parser = new EventStreamParser();
  const events = parser.push('id: 1-0\nevent: progress\ndata: {"a":1}\n\nid: 2-0\ndata: x\n\n');
  deepEqual(events, [
    { id: "1-0", event: "progress", data: '{"a":1}' },
    { id: "2-0", event: "message", data: "x" },
  ]);
  deepEqual(parser.lastEventId, "2-0");
});

Deno.test("EventStreamParser joins data lines and survives chunks split mid-line and mid-CRLF", () => {
  const parser = new EventStreamParser();
  const text = ": keep-alive\r\nid: 7\r\ndata: first\r\ndata:second\r\n\r\n";
  const events = [...text].flatMap((char) => parser.push(char));
  deepEqual(events, [{ id: "7", event: "message", data: "first\nsecond" }]);
});

Deno.test("EventStreamParser ignores an event with no data and resets the event name", () => {
  const parser = new EventStreamParser();
  deepEqual(parser.push("event: ping\n\ndata: y\n\n"), [{ id: "", event: "message", data: "y" }]);
});
