import type { z } from "zod";
import { UserError } from "./errors.ts";

/**
 * Reads and validates an optional JSON file: undefined when it does not exist; a file that is not
 * JSON or does not fit `schema` is a {@link UserError} with `code` that names the path and says what
 * the file should have been (`what`, e.g. "a knowledge record").
 */
export async function readJsonFile<S extends z.ZodType>(
  path: string,
  schema: S,
  code: string,
  what: string,
): Promise<z.infer<S> | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(code, `${path} is not JSON (${(error as Error).message})`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(code, `${path} is not ${what}: ${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}
