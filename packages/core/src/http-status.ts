import { isSessionStoreError } from './errors.js';

/** The HTTP status a framework should answer with for a store error. */
export type SessionHttpStatus = 400 | 503;

const BAD_REQUEST_CODES = new Set(['ERR_SESSION_ENCODE', 'ERR_SESSION_TOO_LARGE', 'ERR_SESSION_ID_INVALID']);

/**
 * 503 for `StoreUnavailableError` (the store is down: retry later); 400 for the request's own bad
 * data (`SessionEncodeError`, `SessionTooLargeError`, `InvalidSessionIdError`), which never marks
 * the store down; `undefined` for anything else (a bug: 500).
 */
export function httpStatusOf(err: unknown): SessionHttpStatus | undefined {
  if (isSessionStoreError(err, 'ERR_STORE_UNAVAILABLE')) return 503;
  if (isSessionStoreError(err) && BAD_REQUEST_CODES.has(err.code)) return 400;
  return undefined;
}

/**
 * Gives `err` the `status` / `statusCode` that Express, Koa, Fastify and Hono answer with (see
 * {@link httpStatusOf}), and `expose`: true for a 400 (the message is about the client's own data),
 * false for a 503 (error handlers show no internals). Other errors pass unchanged. Returns `err`.
 */
export function withHttpStatus<T>(err: T): T {
  const status = httpStatusOf(err);
  return status === undefined
    ? err
    : (Object.assign(err as object, { status, statusCode: status, expose: status === 400 }) as T);
}
