import { SessionEncodeError } from './errors.js';
import { rememberValueTexts } from './stored-form.js';
import type { SessionChange, SessionData } from './types.js';

// The stored-form side channel lives in its own module; re-exported for the codec and older imports.
export { rememberStoredForm, storedKeyTexts } from './stored-form.js';

/** The JSON text of each top-level key of a session, as it would be stored. */
export type KeyTexts = Map<string, string>;

/**
 * Encodes each top-level key the way `JSON.stringify` would store it: keys without a JSON form
 * (`undefined`, functions) are left out and `toJSON` (express-session's `Cookie`, `Date`) is
 * honoured. Framework adapters snapshot a session with it when it is loaded, so a save can send
 * only the keys the request changed.
 * @throws SessionEncodeError for a value with a cycle or a BigInt; nothing is written.
 */
export function keyTexts(session: object): KeyTexts {
  const texts: KeyTexts = new Map();
  const keys = Object.keys(session);
  let key = '';
  try {
    for (let i = 0; i < keys.length; i++) {
      key = keys[i] as string;
      const text = JSON.stringify((session as Record<string, unknown>)[key]) as string | undefined;
      if (text !== undefined) texts.set(key, text);
    }
  } catch (err) {
    throw new SessionEncodeError(`key ${JSON.stringify(key)}: ${(err as Error).message}`, { cause: err });
  }
  return texts;
}

/**
 * Plain JSON data for `keys` of `texts` (all by default): no store ever holds a reference into a
 * live request object. The texts are remembered with the data (see `keyTextsOf`), so the store
 * does not encode the values again.
 */
export function dataOf(texts: KeyTexts, keys: Iterable<string> = texts.keys()): SessionData {
  const data: SessionData = {};
  const used: KeyTexts = new Map();
  for (const key of keys) {
    const text = texts.get(key)!;
    data[key] = JSON.parse(text);
    used.set(key, text);
  }
  return rememberValueTexts(data, used);
}

/** Returns a new session: `base` with `change` applied (top-level keys only). */
export function applyChange(base: SessionData | null, change: SessionChange): SessionData {
  const next: SessionData = { ...base };
  for (const key of change.unset) delete next[key];
  Object.assign(next, change.set);
  return next;
}

/**
 * The change from the session as loaded to the session as saved: changed or new keys set, missing
 * keys unset. Only the changed keys are decoded; their texts are remembered with `set`.
 */
export function changeBetween(loaded: KeyTexts, current: KeyTexts): SessionChange {
  const set: SessionData = {};
  const texts: KeyTexts = new Map();
  const unset: string[] = [];
  for (const [key, text] of current) {
    if (loaded.get(key) === text) continue;
    set[key] = JSON.parse(text);
    texts.set(key, text);
  }
  for (const key of loaded.keys()) if (!current.has(key)) unset.push(key);
  return { set: rememberValueTexts(set, texts), unset };
}

/** True when `change` sets or unsets any of `keys` (e.g. the keys a principal is read from). */
export function touchesKeys(change: SessionChange, keys: Iterable<string>): boolean {
  for (const key of keys) if (Object.hasOwn(change.set, key) || change.unset.includes(key)) return true;
  return false;
}

/** True when `change` sets and unsets nothing. */
export function isEmpty(change: SessionChange): boolean {
  if (change.unset.length > 0) return false;
  for (const key in change.set) if (Object.hasOwn(change.set, key)) return false;
  return true;
}

/** `change` without any set or unset of `keys` (the same object when `keys` is empty). */
export function withoutKeys(change: SessionChange, keys: readonly string[]): SessionChange {
  if (keys.length === 0) return change;
  const set = { ...change.set };
  for (const key of keys) delete set[key];
  return { set, unset: change.unset.filter((key) => !keys.includes(key)) };
}

/** The values of `keys` in `session`, absent ones as `undefined` (which `keyTexts` then leaves out). */
export function pick(session: object, keys: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) picked[key] = (session as Record<string, unknown>)[key];
  return picked;
}
