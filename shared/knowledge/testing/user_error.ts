import assert from "node:assert/strict";
import { UserError } from "../../errors.ts";

/** Asserts that `fn` throws a UserError whose message matches `message`; returns the error. */
export function throwsUserError(fn: () => unknown, message: RegExp): UserError {
  try {
    fn();
  } catch (error) {
    return checked(error, message);
  }
  assert.fail(`expected a UserError matching ${message}`);
}

/** Asserts that `fn` rejects with a UserError whose message matches `message`; returns the error. */
export async function rejectsUserError(
  fn: () => Promise<unknown>,
  message: RegExp,
): Promise<UserError> {
  try {
    await fn();
  } catch (error) {
    return checked(error, message);
  }
  assert.fail(`expected a UserError matching ${message}`);
}

function checked(error: unknown, message: RegExp): UserError {
  assert.ok(error instanceof UserError, `expected a UserError, got ${error}`);
  assert.match(error.message, message);
  return error;
}
