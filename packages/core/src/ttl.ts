import type { SessionData } from './types.js';

/** TTL used when the cookie carries no expiry (a browser-session cookie): one day, as connect-redis does. */
export const DEFAULT_TTL_MS = 86_400_000;

export interface CookieExpiry {
  expires?: Date | string | number | null;
  maxAge?: number | null;
  originalMaxAge?: number | null;
}

/**
 * The TTL in ms for an express-session session: from `cookie.expires` (as express-session sets it
 * from `maxAge`), else `cookie.maxAge`, else `defaultTtlMs` for browser-session cookies that have
 * no expiry. A result `<= 0` means the session has already expired and should be destroyed.
 */
export function ttlFromCookie(
  cookie: CookieExpiry | null | undefined,
  defaultTtlMs = DEFAULT_TTL_MS,
  now = Date.now(),
): number {
  if (cookie?.expires != null) {
    const at = cookie.expires instanceof Date ? cookie.expires.getTime() : new Date(cookie.expires).getTime();
    if (Number.isFinite(at)) return at - now;
  }
  if (typeof cookie?.maxAge === 'number' && Number.isFinite(cookie.maxAge)) return cookie.maxAge;
  return defaultTtlMs;
}

/** {@link ttlFromCookie} applied to a session's `cookie` key. */
export function ttlFromSession(session: SessionData, defaultTtlMs = DEFAULT_TTL_MS, now = Date.now()): number {
  return ttlFromCookie(session['cookie'] as CookieExpiry | undefined, defaultTtlMs, now);
}
