import type { KeyTexts, SessionChange, SessionData } from '@sessionkit/core';

/**
 * True when the change is only the cookie's `expires` moving forward, which express-session does
 * on every request (`req.session.touch()`): such a save is a touch, not a modification.
 */
export function onlyExpiryMoved(change: SessionChange, loaded: KeyTexts): boolean {
  const keys = Object.keys(change.set);
  if (change.unset.length > 0 || keys.length > 1) return false;
  if (keys.length === 0) return true;
  if (keys[0] !== 'cookie') return false;
  const before = parseObject(loaded.get('cookie'));
  const after = change.set['cookie'];
  if (!before || typeof after !== 'object' || after === null) return false;
  const { expires: _before, ...restBefore } = before;
  const { expires: _after, ...restAfter } = after as SessionData;
  return JSON.stringify(restBefore) === JSON.stringify(restAfter);
}

/**
 * When the stored expiry was last refreshed, read from the stored cookie: express-session sets
 * `expires = refreshedAt + originalMaxAge`. `undefined` when the cookie has no expiry (a
 * browser-session cookie) or no `originalMaxAge`.
 */
export function refreshedAtOf(cookieText: string | undefined): number | undefined {
  const cookie = parseObject(cookieText);
  const expires = cookie?.['expires'];
  const originalMaxAge = cookie?.['originalMaxAge'];
  if (typeof expires !== 'string' || typeof originalMaxAge !== 'number') return undefined;
  const at = Date.parse(expires) - originalMaxAge;
  return Number.isFinite(at) ? at : undefined;
}

function parseObject(text: string | undefined): SessionData | undefined {
  if (text === undefined) return undefined;
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as SessionData) : undefined;
}
