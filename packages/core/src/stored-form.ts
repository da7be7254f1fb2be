import secureJson from 'secure-json-parse';
import type { KeyTexts } from './delta.js';

/**
 * The stored-form side channel. A store that decodes a session can remember, next to the object
 * it returns from `SessionStore.get`, the text it decoded it from: the whole JSON text, or the JSON
 * text of each top-level key (a per-field layout such as a Redis hash). The session tracker diffs a
 * save against that form, so a request that never saves pays for no snapshot and a request that
 * saves compares against exactly what was stored.
 *
 * The map is keyed by the returned object (a WeakMap: it goes away with the object) and is one per
 * process, shared by the ESM and CJS copies of this package. Nothing in it is ever written back.
 */
const STORED_FORMS_KEY = Symbol.for('sessionkit.stored-forms');
const storedForms: WeakMap<object, string | KeyTexts> = ((globalThis as Record<symbol, unknown>)[STORED_FORMS_KEY] ??=
  new WeakMap<object, string | KeyTexts>()) as WeakMap<object, string | KeyTexts>;

/**
 * Remembers what `data` was decoded from: its JSON text, or the JSON text of each top-level key.
 * `decodeSession` calls it; per-key layouts call it with the field texts. Returns `data`.
 */
export function rememberStoredForm<T extends object>(data: T, form: string | KeyTexts): T {
  storedForms.set(data, form);
  return data;
}

/**
 * The JSON text of each top-level key `data` was decoded from, computed on first call from the
 * remembered form; `undefined` when the store remembered none (then snapshot the object yourself
 * before anything changes it).
 */
export function storedKeyTexts(data: object): (() => KeyTexts) | undefined {
  const form = storedForms.get(data);
  if (form === undefined) return undefined;
  if (typeof form !== 'string') return () => form;
  return () => {
    // The text decoded once already; parse it the same prototype-safe way.
    const parsed = secureJson.parse(form, undefined, { protoAction: 'remove', constructorAction: 'remove' }) as Record<
      string,
      unknown
    >;
    return new Map(Object.entries(parsed).map(([key, value]) => [key, JSON.stringify(value)]));
  };
}
