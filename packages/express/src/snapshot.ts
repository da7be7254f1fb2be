import type { KeyTexts, SessionChange, SessionData } from '@sessionkit/core';

/**
 * True when the change is only the cookie's `expires` moving forward, which express-session does
 * on every request (`req.session.touch()`): such a save is a touch, not a modification. Fields are
 * compared one by one, because a database may store the cookie's fields in another order.
 */
export function onlyExpiryMoved(change: SessionChange, loaded: KeyTexts): boolean {
  const keys = Object.keys(change.set);
  if (change.unset.length > 0 || keys.length > 1) return false;
  if (keys.length === 0) return true;
  if (keys[0] !== 'cookie') return false;
  const before = parseObject(loaded.get('cookie'));
  const after = change.set['cookie'];
  if (!before || typeof after !== 'object' || after === null) return false;
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]);
  fields.delete('expires');
  for (const field of fields) {
    if (JSON.stringify(before[field]) !== JSON.stringify((after as SessionData)[field])) return false;
  }
  return true;
}

/**
 * When the stored expiry was last refreshed (epoch ms), read from a cookie as stored (`expires` an
 * ISO string) or as express-session holds it (a `Date`): express-session sets
 * `expires = refreshedAt + originalMaxAge`. `undefined` for a browser-session cookie (no expiry).
 */
export function refreshedAtOf(cookie: unknown): number | undefined {
  if (typeof cookie !== 'object' || cookie === null) return undefined;
  const { expires, originalMaxAge } = cookie as { expires?: unknown; originalMaxAge?: unknown };
  if ((typeof expires !== 'string' && !(expires instanceof Date)) || typeof originalMaxAge !== 'number') return undefined;
  const at = new Date(expires).getTime() - originalMaxAge;
  return Number.isFinite(at) ? at : undefined;
}

function parseObject(text: string | undefined): SessionData | undefined {
  if (text === undefined) return undefined;
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as SessionData) : undefined;
}
