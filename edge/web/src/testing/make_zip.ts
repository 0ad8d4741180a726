/** Test fixture: builds .zip files for the import tests (the reader's tests and the browser's). */

/**
 * A minimal zip writer: deflated or stored entries, no CRC (the reader does not check it, and
 * neither does the page). Folders are entries whose path ends in "/".
 */
export async function makeZip(
  files: { path: string; bytes: Uint8Array<ArrayBuffer>; deflate: boolean }[],
): Promise<Blob> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  const central: Uint8Array<ArrayBuffer>[] = [];
  let offset = 0;
  for (const f of files) {
    const name = new TextEncoder().encode(f.path);
    const data = f.deflate
      ? new Uint8Array(
        await new Response(
          new Blob([f.bytes]).stream().pipeThrough(
            new CompressionStream("deflate-raw"),
          ),
        ).arrayBuffer(),
      )
      : f.bytes;
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(8, f.deflate ? 8 : 0, true);
    local.setUint32(18, data.length, true);
    local.setUint32(22, f.bytes.length, true);
    local.setUint16(26, name.length, true);
    const entry = new DataView(new ArrayBuffer(46));
    entry.setUint32(0, 0x02014b50, true);
    entry.setUint16(10, f.deflate ? 8 : 0, true);
    entry.setUint32(20, data.length, true);
    entry.setUint32(24, f.bytes.length, true);
    entry.setUint16(28, name.length, true);
    entry.setUint32(42, offset, true);
    parts.push(new Uint8Array(local.buffer), name, data);
    central.push(new Uint8Array(entry.buffer), name);
    offset += 30 + name.length + data.length;
  }
  const size = central.reduce((n, p) => n + p.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, files.length, true);
  end.setUint16(10, files.length, true);
  end.setUint32(12, size, true);
  end.setUint32(16, offset, true);
  return new Blob([...parts, ...central, new Uint8Array(end.buffer)]);
}
