import { SessionEncodeError } from './errors.js';
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

/** Plain JSON data for `keys` of `texts` (all by default): no store ever holds a reference into a live request object. */
export function dataOf(texts: KeyTexts, keys: Iterable<string> = texts.keys()): SessionData {
  const data: SessionData = {};
  for (const key of keys) data[key] = JSON.parse(texts.get(key)!);
  return data;
}

/** The change from the session as loaded to the session as saved: changed or new keys set, missing keys unset. */
export function changeBetween(loaded: KeyTexts, current: KeyTexts): SessionChange {
  const changed = [...current.keys()].filter((key) => loaded.get(key) !== current.get(key));
  const unset = [...loaded.keys()].filter((key) => !current.has(key));
  return { set: dataOf(current, changed), unset };
}
