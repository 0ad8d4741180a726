/**
 * Where the shipped knowledge assets live: `prompts/templates/<id>.txt` (prompt templates) and
 * `prompts/descriptors/<id>.json` (descriptor sets), at the repository root.
 */
const promptsRoot = new URL("../../prompts/", import.meta.url);

/** Folder of the versioned prompt templates. */
export const templatesDir: string = decodeURIComponent(new URL("templates/", promptsRoot).pathname);

/** Folder of the shipped descriptor sets. */
export const descriptorsDir: string = decodeURIComponent(
  new URL("descriptors/", promptsRoot).pathname,
);
