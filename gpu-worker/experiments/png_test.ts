import assert from "node:assert/strict";
import { Canvas } from "./canvas.ts";
import { crc32, encodePng } from "./png.ts";
import { decodePng } from "./testing.ts";

Deno.test("crc32 matches the standard check value", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
});

Deno.test("encodePng round-trips pixels and refuses a wrong buffer size", () => {
  const canvas = new Canvas(7, 5, [10, 20, 30]);
  canvas.set(3, 2, [255, 0, 0]);
  canvas.line(0, 4, 6, 4, [0, 255, 0]);
  const decoded = decodePng(canvas.toPng());
  assert.equal(decoded.width, 7);
  assert.equal(decoded.height, 5);
  assert.deepEqual(decoded.rgb, canvas.rgb);
  assert.deepEqual([...decoded.rgb.subarray((2 * 7 + 3) * 3, (2 * 7 + 4) * 3)], [255, 0, 0]);
  assert.throws(() => encodePng(2, 2, new Uint8Array(11)), /expected 12 RGB bytes/);
});

Deno.test("Canvas.text sets pixels only inside the text's box", () => {
  const canvas = new Canvas(40, 10);
  canvas.text(1, 1, "DICE", [0, 0, 0]);
  let inside = 0, outside = 0;
  for (let y = 0; y < 10; y++) {
    for (let x = 0; x < 40; x++) {
      if (canvas.rgb[(y * 40 + x) * 3] !== 0) continue;
      if (x >= 1 && x < 1 + Canvas.textWidth("DICE") && y >= 1 && y < 8) inside++;
      else outside++;
    }
  }
  assert.ok(inside > 20);
  assert.equal(outside, 0);
});
