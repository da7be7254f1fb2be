import secureJson from 'secure-json-parse';
import { SessionEncodeError } from './errors.js';
import type { SessionChange, SessionData } from './types.js';

// Session objects a store returned, mapped to the form they were decoded from: the whole JSON
// text, or the JSON text per key. One map per process, shared by the ESM and CJS copies.
const STORED_FORMS_KEY = Symbol.for('sessionkit.stored-forms');
const storedForms: WeakMap<object, string | KeyTexts> = ((globalThis as Record<symbol, unknown>)[STORED_FORMS_KEY] ??=
  new WeakMap<object, string | KeyTexts>()) as WeakMap<object, string | KeyTexts>;

/**
 * Remembers what a session object was decoded from, so a framework adapter can tell later which
 * keys a request changed without snapshotting every session it loads. `decodeSession` calls it;
 * per-key layouts (a Redis hash) call it with the field texts. Returns `data`.
 */
export function rememberStoredForm<T extends object>(data: T, form: string | KeyTexts): T {
  storedForms.set(data, form);
  return data;
}

/**
 * The key texts `data` was decoded from, computed now from the remembered stored form; `undefined`
 * when the store did not remember one. Pass the object exactly as the store returned it, before
 * anything changed it.
 */
export function storedKeyTexts(data: object): (() => KeyTexts) | undefined {
  const form = storedForms.get(data);
  if (form === undefined) return undefined;
  if (typeof form !== 'string') return () => form;
  // The text decoded once already; parse it the same prototype-safe way.
  return () => keyTexts(secureJson.parse(form, undefined, { protoAction: 'remove', constructorAction: 'remove' }) as object);
}

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
