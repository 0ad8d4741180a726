/**
 * An error caused by the user's input (a bad file, a wrong option, a foreign id), as opposed to a
 * bug. The CLI prints its message without a stack trace and exits non-zero; the edge maps it to a
 * 4xx answer with `code` as the machine-readable reason.
 */
export class UserError extends Error {
  /** Machine-readable reason, e.g. `invalid_volume`, `bad_option`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UserError";
    this.code = code;
  }
}
