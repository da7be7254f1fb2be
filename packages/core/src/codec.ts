import type { KeyTexts } from './delta.js';
import { SessionDecodeError, SessionEncodeError, SessionTooLargeError } from './errors.js';
import { FORBIDDEN_KEYS } from './forbidden-keys.js';
import { parseJson } from './json-parse.js';
import { keyTextsOf, rememberStoredForm, rememberValueTexts } from './stored-form.js';
import type { SessionChange, SessionData } from './types.js';
import { DEFAULT_MAX_SESSION_KEYS, checkValue } from './value-rules.js';

/**
 * Default `maxSessionBytes`: 256 KiB of UTF-8 JSON, far below the memory and cluster stores' total
 * bound (64 MiB), so a few large sessions cannot crowd out everybody else's.
 */
export const DEFAULT_MAX_SESSION_BYTES = 256 * 1024;

/** The per-session limits every store enforces; `AbstractSessionStore` is one. */
export interface SessionLimits {
  /** Largest session in bytes of UTF-8 JSON. */
  readonly maxSessionBytes: number;
  /** Most top-level keys in a session, or in one change (set plus unset). */
  readonly maxSessionKeys: number;
}

/** The limits a store gets when its options do not say otherwise. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxSessionBytes: DEFAULT_MAX_SESSION_BYTES,
  maxSessionKeys: DEFAULT_MAX_SESSION_KEYS,
};

/**
 * Encodes a session as JSON text, after checking it against the shared value rules
 * (`checkValue`: what is stored, dropped or refused).
 * @throws SessionEncodeError when `data` is not a plain object, holds a refused value, has more than
 *   `maxSessionKeys` keys, or uses a `__proto__` / `constructor` / `prototype` / empty top-level key.
 * @throws SessionTooLargeError when the UTF-8 encoding exceeds `maxSessionBytes`.
 */
export function encodeSession(data: SessionData, limits: SessionLimits = DEFAULT_SESSION_LIMITS): string {
  if (!isPlainObject(data)) throw new SessionEncodeError(`expected a plain object, got ${typeName(data)}`);
  let keys = 0;
  for (const key in data) {
    if (!Object.hasOwn(data, key)) continue;
    assertKey(key);
    checkValue(data[key], 1, `session.${key}`);
    keys++;
  }
  assertKeyCount(keys, limits);
  return encodeJson(data, limits.maxSessionBytes);
}

/**
 * JSON text of one top-level value that {@link encodeSession} or {@link normalizeChange} already
 * accepted (per-field layouts such as a Redis hash).
 */
export function encodeValue(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * Decodes stored JSON text into a session object. `__proto__` and `constructor.prototype` keys are
 * dropped at every depth (secure-json-parse, for any text that could spell one; see `parseJson`),
 * so stored bytes can never pollute prototypes. The text is remembered with the object
 * (`rememberStoredForm`), so a later save diffs against it.
 * @throws SessionDecodeError when the text is not JSON or not a JSON object.
 */
export function decodeSession(sid: string, text: string | Buffer): SessionData {
  const value = decodeJson(sid, text);
  if (!isPlainObject(value)) throw new SessionDecodeError(sid, `expected a JSON object, got ${typeName(value)}`);
  return typeof text === 'string' ? rememberStoredForm(value, text) : value;
}

/** Decodes one stored top-level value. @throws SessionDecodeError when it is not JSON. */
export function decodeValue(sid: string, text: string | Buffer): unknown {
  return decodeJson(sid, text);
}

/**
 * Validates a change and returns it in stored form: every value in `set` is what a read will give
 * back (`toJSON` applied, `undefined`/functions dropped; see `checkValue`), keys whose value has no
 * JSON form move to `unset`, and keys both set and unset are only set. Stores therefore hold the
 * same thing whatever their driver would have done with the raw value. The JSON text of each value
 * of the returned `set` is remembered with it (`keyTextsOf(change.set)`), so a store that writes
 * text does not encode the values again; values of a `set` that `changeBetween` made are not
 * encoded here either.
 * @throws SessionEncodeError for a forbidden or empty key, a refused value, or more than
 *   `maxSessionKeys` keys in set plus unset.
 * @throws SessionTooLargeError when the encoded `set` part alone exceeds `maxSessionBytes`.
 */
export function normalizeChange(change: SessionChange, limits: SessionLimits = DEFAULT_SESSION_LIMITS): SessionChange {
  if (!isPlainObject(change.set) || !Array.isArray(change.unset)) {
    throw new SessionEncodeError('a change is { set: object, unset: string[] }');
  }
  assertKeyCount(change.unset.length, limits);
  const known = keyTextsOf(change.set);
  // A change from `changeBetween` is in stored form already: checked, it is returned as it is.
  if (known && isStoredForm(change, known, limits)) return { set: change.set, unset: change.unset };
  const set: SessionData = {};
  const texts: KeyTexts = new Map();
  const unset = new Set<string>();
  for (const key of change.unset) {
    if (typeof key !== 'string') throw new SessionEncodeError(`unset holds a ${typeName(key)}, expected key names`);
    assertKey(key);
    unset.add(key);
  }
  let keys = unset.size;
  // UTF-16 units of the encoded `set` (keys counted at their longest escaped form, 6 units each).
  let units = 2;
  for (const key in change.set) {
    if (!Object.hasOwn(change.set, key)) continue;
    assertKey(key);
    if (++keys > limits.maxSessionKeys) assertKeyCount(keys, limits);
    let value = change.set[key];
    const canonical = checkValue(value, 1, `session.${key}`);
    // A value decoded from its remembered text is that text's stored form already.
    let text = known?.get(key);
    if (text === undefined) {
      text = encodeKnown(value, key);
      if (!canonical) value = text === undefined ? undefined : JSON.parse(text);
    }
    if (value === undefined || text === undefined) {
      unset.add(key);
      continue;
    }
    set[key] = value;
    texts.set(key, text);
    unset.delete(key);
    units += key.length * 6 + 3 + text.length;
  }
  // A UTF-16 unit encodes to at most 3 UTF-8 bytes, so small changes skip the exact count.
  if (units * 3 > limits.maxSessionBytes) {
    const bytes = byteLength(encodeJson(set, Number.MAX_SAFE_INTEGER));
    if (bytes > limits.maxSessionBytes) throw new SessionTooLargeError(bytes, limits.maxSessionBytes);
  }
  return { set: rememberValueTexts(set, texts), unset: [...unset] };
}

/**
 * True when every value of `change.set` has its remembered text (it was decoded from it), passes
 * the value rules and is not also unset, and the change is within the key and size limits: then
 * normalizing it would only copy it. Throws what {@link normalizeChange} throws for a refused key
 * or value; `false` sends anything else the long way.
 */
function isStoredForm(change: SessionChange, known: KeyTexts, limits: SessionLimits): boolean {
  const unset = change.unset;
  for (const key of unset) {
    if (typeof key !== 'string' || Object.hasOwn(change.set, key)) return false;
    assertKey(key);
  }
  let keys = unset.length;
  let units = 2;
  for (const key in change.set) {
    if (!Object.hasOwn(change.set, key)) continue;
    assertKey(key);
    if (++keys > limits.maxSessionKeys) assertKeyCount(keys, limits);
    const text = known.get(key);
    if (text === undefined || !checkValue(change.set[key], 1, `session.${key}`)) return false;
    units += key.length * 6 + 3 + text.length;
  }
  return units * 3 <= limits.maxSessionBytes;
}

/** UTF-8 byte length of a string, without allocating a Buffer. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function encodeJson(value: unknown, maxBytes: number): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new SessionEncodeError((err as Error).message, { cause: err });
  }
  if (text === undefined) throw new SessionEncodeError(`a ${typeName(value)} has no JSON form`);
  // A UTF-16 unit encodes to at most 3 UTF-8 bytes, so short texts skip the byte count.
  if (text.length * 3 > maxBytes) {
    const bytes = byteLength(text);
    if (bytes > maxBytes) throw new SessionTooLargeError(bytes, maxBytes);
  }
  return text;
}

/** JSON text of a value `checkValue` accepted; `undefined` when it has no JSON form. */
function encodeKnown(value: unknown, key: string): string | undefined {
  try {
    return JSON.stringify(value) as string | undefined;
  } catch (err) {
    throw new SessionEncodeError(`key ${JSON.stringify(key)}: ${(err as Error).message}`, { cause: err });
  }
}

function decodeJson(sid: string, text: string | Buffer): unknown {
  try {
    return parseJson(text);
  } catch (err) {
    throw new SessionDecodeError(sid, (err as Error).message, { cause: err });
  }
}

function assertKey(key: string): void {
  if (key === '' || FORBIDDEN_KEYS.has(key)) {
    throw new SessionEncodeError(`top-level key ${JSON.stringify(key)} is not allowed`);
  }
  if (!key.isWellFormed()) throw new SessionEncodeError('a top-level key holds a lone UTF-16 surrogate');
}

function assertKeyCount(keys: number, limits: SessionLimits): void {
  if (keys > limits.maxSessionKeys) {
    throw new SessionEncodeError(
      `more than ${limits.maxSessionKeys} top-level keys (maxSessionKeys); keep collections under one key, e.g. session.cart = [...]`,
    );
  }
}

function isPlainObject(value: unknown): value is SessionData {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
