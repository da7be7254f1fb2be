import { redactUrl } from '@sessionkit/core';

// A URL-like token: scheme://, then everything up to whitespace or a quote.
const URL_TOKEN = /([a-z][a-z0-9+.-]*:\/\/)([^\s"'<>`]*)/gi;

/**
 * `text` with every URL password replaced by `***`, for messages and events. Beyond core's
 * `redactUrl`, it hides a password written without percent-encoding (`redis://u:pa/ss@host`, which
 * no URL parser reads as userinfo): in a URL token holding an `@`, everything from the user name's
 * `:` to the token's last `@` is hidden. That may hide more than the password; never less.
 */
export function redactText(text: string): string {
  return redactUrl(text).replace(URL_TOKEN, (token: string, scheme: string, rest: string) => {
    const at = rest.lastIndexOf('@');
    if (at === -1) return token;
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon === -1 ? '***' : `${userinfo.slice(0, colon)}:***`}${rest.slice(at)}`;
  });
}

/**
 * `err` unchanged when its message and stack quote no URL password; otherwise a copy with both
 * redacted, keeping `name`, `code` and the socket fields (so it still classifies as the same kind
 * of error) but not the original as `cause`.
 */
export function redactError(err: unknown): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? redactText(err) : err;
  const message = redactText(err.message);
  const stack = err.stack === undefined ? undefined : redactText(err.stack);
  if (message === err.message && stack === err.stack) return err;
  const copy = new Error(message);
  copy.name = err.name;
  copy.stack = stack;
  for (const field of ['code', 'errno', 'syscall', 'address', 'port'] as const) {
    const value = (err as unknown as Record<string, unknown>)[field];
    if (value !== undefined) (copy as unknown as Record<string, unknown>)[field] = typeof value === 'string' ? redactText(value) : value;
  }
  return copy;
}
