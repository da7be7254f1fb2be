import type { SessionData, SessionEntry } from '@sessionkit/core';

/** Where an expiry came from: the store itself, the session's `cookie.expires`, or nowhere. */
export type ExpirySource = 'store' | 'cookie' | 'unknown';

/**
 * The expiry of a session in epoch ms: the store's own when it reports one; else the absolute
 * `cookie.expires` that express-session keeps in the session, which is never later than the real
 * expiry (a touch extends the store's TTL without rewriting it), so using it never adds lifetime;
 * else `null`.
 */
export function expiryOf(entry: Pick<SessionEntry, 'data' | 'expiresAt'>): {
  expiresAt: number | null;
  source: ExpirySource;
} {
  if (entry.expiresAt !== null) return { expiresAt: entry.expiresAt, source: 'store' };
  const fromCookie = cookieExpiry(entry.data);
  return fromCookie === null ? { expiresAt: null, source: 'unknown' } : { expiresAt: fromCookie, source: 'cookie' };
}

function cookieExpiry(data: SessionData): number | null {
  const expires = (data['cookie'] as { expires?: unknown } | undefined)?.expires;
  if (typeof expires !== 'string' && typeof expires !== 'number') return null;
  const at = new Date(expires).getTime();
  return Number.isFinite(at) ? at : null;
}
