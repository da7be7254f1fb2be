import { SessionEncodeError, type SessionChange, type SessionData } from '@sessionkit/core';

/** The JSON text of each top-level key of a session, as it would be stored. */
export type KeyTexts = Map<string, string>;

/**
 * Encodes each top-level key of `session` the way `JSON.stringify` would store it: keys whose
 * value has no JSON form (`undefined`, functions) are left out, `toJSON` (express-session's
 * `Cookie`, `Date`) is honoured.
 * @throws SessionEncodeError for a cycle or a BigInt.
 */
export function keyTexts(session: object): KeyTexts {
  const texts: KeyTexts = new Map();
  for (const [key, value] of Object.entries(session)) {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      throw new SessionEncodeError(`key ${JSON.stringify(key)}: ${(err as Error).message}`, { cause: err });
    }
    if (text !== undefined) texts.set(key, text);
  }
  return texts;
}

/** Plain JSON data for `texts`, so no store ever holds a reference into a live request object. */
export function dataOf(texts: KeyTexts, keys: Iterable<string> = texts.keys()): SessionData {
  const data: SessionData = {};
  for (const key of keys) data[key] = JSON.parse(texts.get(key)!);
  return data;
}

/** The top-level keys that differ between the loaded snapshot and the session being saved. */
export function diff(loaded: KeyTexts, current: KeyTexts): SessionChange {
  const changed = [...current.keys()].filter((key) => loaded.get(key) !== current.get(key));
  const unset = [...loaded.keys()].filter((key) => !current.has(key));
  return { set: dataOf(current, changed), unset };
}

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
