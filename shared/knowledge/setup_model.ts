/**
 * Fetches a BERT model folder (bert-base-uncased converted for transformers.js) where the network
 * allows, with checksums: each file is streamed through SHA-256 into a temporary folder, compared
 * with the expected sums when given, the folder is checked (hidden size 768), `SHA256SUMS` is
 * written beside the files, and only then is the folder renamed into place.
 */
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { UserError } from "../errors.ts";
import { BERT_FILES, openBertFolder } from "./bert_folder.ts";

/** Where the files of bert-base-uncased for transformers.js are published. */
export const DEFAULT_BERT_SOURCE = "https://huggingface.co/Xenova/bert-base-uncased/resolve/main";

/** Options of {@link setupBertModel}. */
export interface SetupModelOptions {
  /** Destination folder; must not exist yet. */
  dir: string;
  /** Base URL the {@link BERT_FILES} are fetched from; default {@link DEFAULT_BERT_SOURCE}. */
  source?: string;
  /** Expected SHA-256 (hex) per file, e.g. from a SHA256SUMS file; unchecked files are listed. */
  expected?: Record<string, string>;
}

/** One fetched file. */
export interface FetchedFile {
  file: string;
  sha256: string;
  bytes: number;
}

/** Parses `sha256sum` output (`<hex>  <path>` per line) into path → hex. */
export function parseSha256Sums(text: string, source: string): Record<string, string> {
  const sums: Record<string, string> = {};
  for (const [i, line] of text.split("\n").entries()) {
    if (!line.trim()) continue;
    const match = line.match(/^([0-9a-f]{64}) [ *](.+)$/);
    if (!match) {
      throw new UserError("bad_checksums", `${source}:${i + 1} is not '<sha256>  <file>'`);
    }
    sums[match[2]] = match[1];
  }
  return sums;
}

async function download(url: string, path: string): Promise<FetchedFile & { url: string }> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new UserError(
      "model_download_failed",
      `cannot fetch ${url}: ${(error as Error).message}`,
    );
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new UserError("model_download_failed", `${url} answered ${response.status}`);
  }
  const hash = createHash("sha256");
  let bytes = 0;
  await Deno.mkdir(dirname(path), { recursive: true });
  using file = await Deno.open(path, { write: true, createNew: true });
  const writer = file.writable.getWriter();
  for await (const chunk of response.body) {
    hash.update(chunk);
    bytes += chunk.length;
    await writer.write(chunk);
  }
  await writer.close();
  return { url, file: path, sha256: hash.digest("hex"), bytes };
}

/**
 * Downloads the model folder into `options.dir`. Throws a UserError when the folder exists, a
 * download fails, a checksum differs, or the model is not 768-d; nothing is left behind then.
 */
export async function setupBertModel(options: SetupModelOptions): Promise<FetchedFile[]> {
  const source = (options.source ?? DEFAULT_BERT_SOURCE).replace(/\/$/, "");
  try {
    await Deno.stat(options.dir);
    throw new UserError("model_exists", `${options.dir} already exists; remove it first`);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.mkdir(dirname(options.dir), { recursive: true });
  const temp = await Deno.makeTempDir({ dir: dirname(options.dir), prefix: ".bert-download-" });
  try {
    const fetched: FetchedFile[] = [];
    for (const file of BERT_FILES) {
      const got = await download(`${source}/${file}`, `${temp}/${file}`);
      const want = options.expected?.[file];
      if (want !== undefined && want !== got.sha256) {
        throw new UserError(
          "checksum_mismatch",
          `${got.url} has SHA-256 ${got.sha256}, expected ${want}`,
        );
      }
      fetched.push({ file, sha256: got.sha256, bytes: got.bytes });
    }
    await openBertFolder(temp);
    const sums = fetched.map((f) => `${f.sha256}  ${f.file}\n`).join("");
    await Deno.writeTextFile(`${temp}/SHA256SUMS`, sums);
    await Deno.rename(temp, options.dir);
    return fetched;
  } catch (error) {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    throw error;
  }
}
