import { redactUrl } from '@sessionkit/core';

/**
 * `err` with any URL password in its message and stack replaced by `***` (see `redactUrl`), so no
 * message or event of the store quotes one, whatever the driver put in its text.
 */
export function redacted(err: unknown): unknown {
  if (err instanceof Error) {
    const message = redactUrl(err.message);
    if (message !== err.message) err.message = message;
    const stack = err.stack === undefined ? undefined : redactUrl(err.stack);
    if (stack !== err.stack) err.stack = stack;
  }
  return err;
}
