import { InvalidSessionIdError } from './errors.js';

/**
 * Accepted session ids: 8 to 160 characters of `A-Z a-z 0-9 . _ : -`. Room for express-session's
 * base64url ids (uid-safe, 32 chars), a Tomcat-style `.route` suffix and koa-session's prefixes,
 * while keeping quotes, slashes, spaces and glob characters away from every backend.
 */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9._:-]{8,160}$/;

export function isValidSessionId(sid: unknown): sid is string {
  return typeof sid === 'string' && SESSION_ID_PATTERN.test(sid);
}

/** Throws `InvalidSessionIdError` unless `sid` matches {@link SESSION_ID_PATTERN}. */
export function assertSessionId(sid: unknown): asserts sid is string {
  if (!isValidSessionId(sid)) throw new InvalidSessionIdError(sid);
}
