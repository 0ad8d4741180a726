import assert from "node:assert/strict";
import zlib from "node:zlib";
import { encodeNifti } from "../../shared/volume/mod.ts";
import { spacingAffine } from "../../shared/volume/affine.ts";
import {
  api,
  createTenant,
  filesUnder,
  type Service,
  startService,
  tinyNifti,
  upload,
} from "./harness.ts";

/** A float32 12×10×8 scan whose voxels `bad` are set to NaN, +Inf or -Inf in turn. */
function scanWithNonFinite(bad: number[]): Uint8Array {
  const data = new Float32Array(12 * 10 * 8).map((_, i) => Math.cos(i));
  bad.forEach((i, k) => (data[i] = [NaN, Infinity, -Infinity][k % 3]));
  const spacing: [number, number, number] = [1, 1, 1];
  return encodeNifti({
    shape: [12, 10, 8],
    channels: 1,
    data,
    spacing,
    affine: spacingAffine(spacing),
  });
}

/** Opens an upload over raw TCP, sends the head and `sent` body bytes of `declared`, then stalls. */
async function stalledUpload(service: Service, key: string, sent: number): Promise<Deno.TcpConn> {
  const { port } = new URL(service.base);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  const head =
    `POST /v1/scans?name=stall.nii HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${key}\r\n` +
    `content-type: application/octet-stream\r\ncontent-length: 100000\r\n\r\n`;
  await conn.write(new TextEncoder().encode(head));
  await conn.write(new Uint8Array(sent));
  return conn;
}

/** Reads the answer on a raw connection up to the end of its JSON body, then closes it. */
async function readAnswer(conn: Deno.TcpConn): Promise<string> {
  const buffer = new Uint8Array(8192);
  let text = "";
  try {
    while (!/\r\n\r\n\{.*\}\}/s.test(text)) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
  } finally {
    conn.close();
  }
  return text;
}

Deno.test("uploads: NaN/Inf voxels refused; multi-member gzip and Unicode names accepted", async () => {
  const service = await startService();
  try {
    const { key } = await createTenant(service);
    for (const bad of [[5], [0, 1, 2, 950]]) {
      const res = await upload(service, key, "nan.nii.gz", scanWithNonFinite(bad));
      const body = await res.json();
      assert.equal(res.status, 422, JSON.stringify(body));
      assert.match(body.error.message, new RegExp(`${bad.length} voxels are NaN or infinite`));
    }
    // Uncompressed too, and with the bad value split by how the body arrives.
    const raw = zlib.gunzipSync(scanWithNonFinite([100]));
    assert.equal((await upload(service, key, "nan.nii", raw)).status, 422);

    // Two gzip members back to back (concatenated gzip output): one valid stream.
    const inflated = zlib.gunzipSync(tinyNifti());
    const half = inflated.length >> 1;
    const twoMembers = new Uint8Array([
      ...zlib.gzipSync(inflated.subarray(0, half)),
      ...zlib.gzipSync(inflated.subarray(half)),
    ]);
    const multi = await upload(service, key, "two-members.nii.gz", twoMembers);
    assert.equal(multi.status, 201, await multi.clone().text());

    const unicode = await upload(service, key, "Gehirn-ü 脑 (1).nii.gz", tinyNifti());
    assert.equal(unicode.status, 201, await unicode.clone().text());
    const scan = await unicode.json();
    const file = await api(service, key, `/v1/scans/${scan.id}/file`);
    assert.equal(file.status, 200);
    assert.match(file.headers.get("content-disposition")!, /filename\*=UTF-8''Gehirn-%C3%BC/);
    await file.body?.cancel();
    const slash = await upload(service, key, "a\u0000b.nii.gz", tinyNifti());
    assert.equal(slash.status, 400);
    assert.match((await slash.json()).error.message, /letters, digits/);
    const wrongExtension = await upload(service, key, "scan.txt", tinyNifti());
    assert.equal(wrongExtension.status, 415);
    await wrongExtension.body?.cancel();
  } finally {
    await service.close();
  }
});

Deno.test("uploads: the tenant's voxel limit is checked from the header, before any inflating", async () => {
  const service = await startService();
  try {
    const small = await createTenant(service, { limits: { maxScanVoxels: 500 } });
    const over = await upload(service, small.key, "scan.nii.gz", tinyNifti());
    assert.equal(over.status, 413);
    assert.match((await over.json()).error.message, /960 voxels, over this tenant's limit of 500/);

    // A 1024×1024×512 header (537 M voxels): the default limit refuses it at once.
    const { key } = await createTenant(service);
    const header = zlib.gunzipSync(tinyNifti()).slice(0, 352);
    const view = new DataView(header.buffer);
    for (const [i, d] of [1024, 1024, 512].entries()) view.setInt16(42 + 2 * i, d, true);
    const huge = await upload(service, key, "huge.nii.gz", zlib.gzipSync(header));
    assert.equal(huge.status, 413);
    assert.match((await huge.json()).error.message, /536870912 voxels/);
  } finally {
    await service.close();
  }
});

Deno.test("uploads: a stalled upload times out (408); a tenant's uploads in flight are capped (429)", async () => {
  const service = await startService({
    config: { uploadIdleTimeoutMs: 400, maxConcurrentUploads: 2 },
  });
  try {
    const { key } = await createTenant(service);
    const held = [await stalledUpload(service, key, 10), await stalledUpload(service, key, 10)];
    await new Promise((r) => setTimeout(r, 100));
    const third = await upload(service, key, "third.nii.gz", tinyNifti());
    assert.equal(third.status, 429);
    assert.equal((await third.json()).error.code, "too_many_uploads");
    const answers = await Promise.all(held.map(readAnswer));
    for (const answer of answers) {
      assert.match(answer, /^HTTP\/1\.1 408/);
      assert.match(answer, /nothing received for 0.4 s after 10 bytes/);
    }
    assert.equal((await upload(service, key, "after.nii.gz", tinyNifti())).status, 201);
    assert.deepEqual(await filesUnder(service.spoolDir), [], "no spool file left behind");
  } finally {
    await service.close();
  }
});

Deno.test("uploads: a label's distinct values are tallied as it streams, so datasets never decode it", async () => {
  const service = await startService();
  try {
    const { key } = await createTenant(service);
    const shape: [number, number, number] = [12, 10, 8];
    const spacing: [number, number, number] = [1, 1, 1];
    const volume = (data: Uint8Array | Float32Array) =>
      encodeNifti({ shape, channels: 1, data, spacing, affine: spacingAffine(spacing) });
    const classes = Uint8Array.from({ length: 960 }, (_, i) => [0, 0, 1, 2][i % 4]);
    const label = await (await upload(service, key, "label.nii.gz", volume(classes))).json();
    assert.deepEqual(label.distinctValues, [0, 1, 2]);
    const image = await (await upload(service, key, "image.nii.gz", tinyNifti(shape))).json();
    assert.equal(image.distinctValues, null); // 960 distinct values: no label
    const other = await (await upload(service, key, "other.nii.gz", tinyNifti(shape, false, 1)))
      .json();

    const halves = Float32Array.from(classes, (v) => v / 2);
    const fractional = await (await upload(service, key, "half.nii.gz", volume(halves))).json();
    assert.deepEqual(fractional.distinctValues, [0, 0.5, 1]);
    // The dataset is checked from the tallies: an image as a label, and a fractional "label".
    for (const [bad, reason] of [[other, /more than 256 distinct values/], [fractional, /0\.5/]]) {
      const refused = await api(service, key, "/v1/datasets", {
        method: "POST",
        json: { name: "x", labels: "classes", labelled: [{ image: image.id, label: bad.id }] },
      });
      assert.equal(refused.status, 422);
      assert.match((await refused.json()).error.message, reason as RegExp);
    }
    const made = await api(service, key, "/v1/datasets", {
      method: "POST",
      json: { name: "ok", labels: "classes", labelled: [{ image: image.id, label: label.id }] },
    });
    assert.equal(made.status, 201, await made.clone().text());
    assert.deepEqual((await made.json()).labelValues, [0, 1, 2]);
  } finally {
    await service.close();
  }
});
