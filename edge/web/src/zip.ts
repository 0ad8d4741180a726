/**
 * Lists a .zip file's entries in the browser and inflates one on demand, with the platform's
 * `DecompressionStream("deflate-raw")`: an nnU-Net folder can be imported as the zip it was
 * shared as, without a zip library. Stored and deflated entries; no ZIP64, no encryption.
 */

/** One file inside the zip; `open()` inflates it. */
export interface ZipEntry {
  path: string;
  size: number;
  open(): Promise<File>;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

async function view(blob: Blob, start: number, end: number): Promise<DataView> {
  return new DataView(await blob.slice(start, end).arrayBuffer());
}

/** The zip's file entries (folders left out), in the order of its central directory. */
export async function readZip(zip: Blob, name = "the zip"): Promise<ZipEntry[]> {
  // The end record sits in the last 22 bytes plus an optional comment of up to 64 KiB.
  const tailStart = Math.max(0, zip.size - 22 - 0xffff);
  const tail = await view(zip, tailStart, zip.size);
  let eocd = -1;
  for (let i = tail.byteLength - 22; i >= 0; i--) {
    if (tail.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${name}: not a zip file (no end of central directory)`);
  const count = tail.getUint16(eocd + 10, true);
  const size = tail.getUint32(eocd + 12, true);
  const offset = tail.getUint32(eocd + 16, true);
  if (count === 0xffff || offset === 0xffffffff) {
    throw new Error(`${name}: ZIP64 archives are not supported; upload the folder instead`);
  }
  const directory = await view(zip, offset, offset + size);
  const decoder = new TextDecoder();
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (directory.getUint32(at, true) !== CENTRAL) {
      throw new Error(`${name}: damaged central directory (entry ${i + 1})`);
    }
    const flags = directory.getUint16(at + 8, true);
    const method = directory.getUint16(at + 10, true);
    const compressed = directory.getUint32(at + 20, true);
    const uncompressed = directory.getUint32(at + 24, true);
    const nameLength = directory.getUint16(at + 28, true);
    const extra = directory.getUint16(at + 30, true) + directory.getUint16(at + 32, true);
    const local = directory.getUint32(at + 42, true);
    const path = decoder.decode(
      new Uint8Array(directory.buffer, directory.byteOffset + at + 46, nameLength),
    );
    at += 46 + nameLength + extra;
    if (path.endsWith("/")) continue;
    if (flags & 1) throw new Error(`${name}: ${path} is encrypted`);
    if (method !== 0 && method !== 8) {
      throw new Error(`${name}: ${path} uses compression method ${method} (only deflate)`);
    }
    const fileName = path.split("/").at(-1)!;
    entries.push({
      path,
      size: uncompressed,
      async open(): Promise<File> {
        const header = await view(zip, local, local + 30);
        if (header.getUint32(0, true) !== LOCAL) throw new Error(`${name}: ${path} is damaged`);
        const start = local + 30 + header.getUint16(26, true) + header.getUint16(28, true);
        const data = zip.slice(start, start + compressed);
        if (method === 0) return new File([data], fileName);
        const inflated = data.stream().pipeThrough(new DecompressionStream("deflate-raw"));
        return new File([await new Response(inflated).blob()], fileName);
      },
    });
  }
  return entries;
}
