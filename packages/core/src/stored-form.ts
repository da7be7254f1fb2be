import type { KeyTexts } from './delta.js';
import { parseJson } from './json-parse.js';
import { objectKeyTexts } from './object-texts.js';
import { privateSlot, type PrivateSlot } from './private-slot.js';

/**
 * The stored-form side channel. A store that decodes a session can remember, next to the object
 * it returns from `SessionStore.get`, the text it decoded it from: the whole JSON text, or the JSON
 * text of each top-level key (a per-field layout such as a Redis hash). The session tracker diffs a
 * save against that form, so a request that never saves pays for no snapshot and a request that
 * saves compares against exactly what was stored. `normalizeChange` remembers the text of each
 * value of a change the same way, so a store that writes text does not encode the values again.
 *
 * The form lives in a private field of the object (see `privateSlot`): invisible to spreads,
 * `JSON.stringify` and equality checks, and gone with the object. The slot is one per process,
 * shared by the ESM and CJS copies of this package. Nothing in it is ever written back.
 */
const STORED_FORMS_KEY = Symbol.for('sessionkit.stored-form-slot');
const storedForms: PrivateSlot<string | KeyTexts> = ((globalThis as Record<symbol, unknown>)[STORED_FORMS_KEY] ??=
  privateSlot<string | KeyTexts>()) as PrivateSlot<string | KeyTexts>;

/**
 * Remembers what `data` was decoded from: its JSON text, or the JSON text of each top-level key.
 * `decodeSession` calls it; per-key layouts call it with the field texts. Returns `data`.
 */
export function rememberStoredForm<T extends object>(data: T, form: string | KeyTexts): T {
  storedForms.set(data, form);
  return data;
}

/** What {@link rememberStoredForm} remembered for `data`: a JSON text, per-key texts, or `undefined`. */
export function storedForm(data: object): string | KeyTexts | undefined {
  return storedForms.get(data);
}

/**
 * The JSON texts of values made from them: `dataOf`, `changeBetween` and `normalizeChange`
 * remember, with the object they return, the text each value was decoded from, so a store that
 * writes text does not encode it again. Kept apart from the stored forms on purpose: a session a
 * store returned from `get` may be changed by its caller and then written back, and its stored
 * form then no longer spells its values.
 */
const VALUE_TEXTS_KEY = Symbol.for('sessionkit.value-texts-slot');
const valueTexts: PrivateSlot<KeyTexts> = ((globalThis as Record<symbol, unknown>)[VALUE_TEXTS_KEY] ??=
  privateSlot<KeyTexts>()) as PrivateSlot<KeyTexts>;

/** Remembers `texts` as the JSON text of each top-level value of `data`, made from them just now. Returns `data`. */
export function rememberValueTexts<T extends object>(data: T, texts: KeyTexts): T {
  valueTexts.set(data, texts);
  return data;
}

/**
 * The JSON text of each value of `data` when `data` was made from those texts by `dataOf`,
 * `changeBetween` or `normalizeChange` (a change's `set`); `undefined` otherwise (encode the
 * values yourself). Never the stored form of a session read from a store, which its caller may
 * have changed since. Never decodes or encodes anything.
 */
export function keyTextsOf(data: object): KeyTexts | undefined {
  return valueTexts.get(data);
}

/**
 * `JSON.stringify(data)` for plain JSON data, built from the texts {@link keyTextsOf} remembered
 * with it where there are any (a change's `set`), so its values are not encoded again.
 */
export function jsonOf(data: object): string {
  const texts = keyTextsOf(data);
  if (texts === undefined) return JSON.stringify(data);
  let json = '';
  for (const key of Object.keys(data)) {
    const text = texts.get(key) ?? (JSON.stringify((data as Record<string, unknown>)[key]) as string | undefined);
    if (text !== undefined) json += `${json ? ',' : ''}${JSON.stringify(key)}:${text}`;
  }
  return `{${json}}`;
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
  return () => formKeyTexts(form);
}

/** The last text {@link formKeyTexts} cut, and what it gave: a save cuts the stored text for its diff, then the store's merge cuts the same text again. */
let lastForm: string | undefined;
let lastTexts: KeyTexts | undefined;

/**
 * The JSON text of each top-level key of a stored JSON object text: cut out of the text when it is
 * written as `JSON.stringify` writes it, else decoded (the same prototype-safe way as the store
 * decoded it) and each key encoded again. The result may be shared with other callers: read it,
 * never change it.
 */
export function formKeyTexts(form: string | KeyTexts): KeyTexts {
  if (typeof form !== 'string') return form;
  if (form === lastForm) return lastTexts!;
  const cut = objectKeyTexts(form);
  if (cut) {
    lastForm = form;
    lastTexts = cut;
    return cut;
  }
  const parsed = parseJson(form) as Record<string, unknown>;
  const texts: KeyTexts = new Map();
  for (const key of Object.keys(parsed)) {
    const text = JSON.stringify(parsed[key]) as string | undefined;
    if (text !== undefined) texts.set(key, text);
  }
  return texts;
}
