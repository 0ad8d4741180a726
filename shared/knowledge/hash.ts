import { createHash } from "node:crypto";

/** `sha256:<hex>` of a string (UTF-8) or bytes: the content hash used for prompts, sets and caches. */
export function contentHash(content: string | Uint8Array): string {
  return `sha256:${createHash("sha256").update(content).digest("hex")}`;
}
