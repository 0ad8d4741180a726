import assert from "node:assert/strict";
import { UserError } from "@llmseg/shared";
import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  type SafetensorsFile,
  toFloat32,
  writeSafetensors,
} from "./safetensors.ts";

const sample: SafetensorsFile = {
  tensors: new Map([
    ["w", { dtype: "F32", shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 4, 5, 6]) }],
    ["steps", { dtype: "I64", shape: [1], data: BigInt64Array.from([7n]) }],
    ["mask", { dtype: "U8", shape: [3], data: Uint8Array.from([0, 1, 2]) }],
  ]),
  metadata: { iteration: "12", note: "hé" },
};

/** Builds a file from a raw header object and body, to test what the reader refuses. */
function raw(header: unknown, body: Uint8Array = new Uint8Array()): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

Deno.test("encode → decode round-trips tensors, dtypes and metadata; header is 8-byte aligned", () => {
  const bytes = encodeSafetensors(sample);
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(headerLength % 8, 0);
  const back = decodeSafetensors(bytes, "mem");
  assert.deepEqual(back.metadata, sample.metadata);
  assert.deepEqual([...back.tensors.keys()], ["w", "steps", "mask"]);
  assert.deepEqual(Array.from(toFloat32(back.tensors.get("w")!)), [1, -2, 3.5, 4, 5, 6]);
  assert.deepEqual(Array.from(toFloat32(back.tensors.get("steps")!)), [7]);
  assert.deepEqual(back.tensors.get("mask")!.data, Uint8Array.from([0, 1, 2]));
});

Deno.test("F16 and BF16 expand to float32", () => {
  // 0x3c00 = 1.0 and 0xc000 = −2.0 in half; 0x3f80 = 1.0 and 0x4040 = 3.0 in bfloat16.
  const half = { dtype: "F16" as const, shape: [2], data: Uint16Array.from([0x3c00, 0xc000]) };
  const brain = { dtype: "BF16" as const, shape: [2], data: Uint16Array.from([0x3f80, 0x4040]) };
  assert.deepEqual(Array.from(toFloat32(half)), [1, -2]);
  assert.deepEqual(Array.from(toFloat32(brain)), [1, 3]);
});

Deno.test("malformed files are refused with the file name and the problem", () => {
  const refuses = (bytes: Uint8Array, pattern: RegExp): void => {
    assert.throws(() => decodeSafetensors(bytes, "bad.safetensors"), (e: unknown) => {
      return e instanceof UserError && e.code === "invalid_safetensors" &&
        e.message.startsWith("bad.safetensors:") && pattern.test(e.message);
    });
  };
  refuses(new Uint8Array(5), /shorter than the 8-byte header length/);
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 1000n, true);
  refuses(huge, /header length 1000 exceeds the file size 16/);
  const notJson = new Uint8Array(12);
  new DataView(notJson.buffer).setBigUint64(0, 4n, true);
  notJson.set(new TextEncoder().encode("{{{{"), 8);
  refuses(notJson, /not UTF-8 JSON/);
  refuses(raw([1, 2]), /not a JSON object/);
  refuses(raw({ __metadata__: { a: 1 } }), /__metadata__ must map strings to strings/);
  refuses(
    raw({ w: { dtype: "Q8", shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
    /tensor "w"/,
  );
  refuses(
    raw({ w: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)),
    /4 bytes for F32 shape \[2\] \(needs 8\)/,
  );
  refuses(
    raw({ w: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(2)),
    /outside/,
  );
  refuses(
    raw({
      a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
      b: { dtype: "F32", shape: [1], data_offsets: [2, 6] },
    }, new Uint8Array(8)),
    /gap or overlap/,
  );
  refuses(
    raw({ w: { dtype: "U8", shape: [1], data_offsets: [0, 1] } }, new Uint8Array(3)),
    /2 trailing bytes/,
  );
});

Deno.test("writeSafetensors writes atomically and readSafetensors reads it back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/x.safetensors`;
    await writeSafetensors(path, sample);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["x.safetensors"]);
    assert.deepEqual((await readSafetensors(path)).metadata, sample.metadata);
    await assert.rejects(
      readSafetensors(`${dir}/missing.safetensors`),
      /missing\.safetensors: cannot read/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
