import secureJson from 'secure-json-parse';
import { rememberStoredForm } from './delta.js';
import { SessionDecodeError, SessionEncodeError, SessionTooLargeError } from './errors.js';
import type { SessionChange, SessionData } from './types.js';

/** Default `maxSessionBytes`: 1 MiB of UTF-8 JSON. */
export const DEFAULT_MAX_SESSION_BYTES = 1024 * 1024;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Encodes a session as JSON text.
 * @throws SessionEncodeError when `data` is not a plain object, has a cycle or a BigInt, or uses a
 *   `__proto__` / `constructor` / `prototype` top-level key.
 * @throws SessionTooLargeError when the UTF-8 encoding exceeds `maxBytes`.
 */
export function encodeSession(data: SessionData, maxBytes = DEFAULT_MAX_SESSION_BYTES): string {
  if (!isPlainObject(data)) throw new SessionEncodeError(`expected a plain object, got ${typeName(data)}`);
  for (const key of Object.keys(data)) assertKey(key);
  return encodeJson(data, maxBytes);
}

/** Encodes one top-level value (per-field layouts such as a Redis hash). Same errors as {@link encodeSession}. */
export function encodeValue(value: unknown, maxBytes = DEFAULT_MAX_SESSION_BYTES): string {
  return encodeJson(value, maxBytes);
}

/**
 * Decodes stored JSON text into a session object. `__proto__` and `constructor.prototype` keys are
 * dropped at every depth (secure-json-parse), so stored bytes can never pollute prototypes.
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
 * Validates a change and returns it in canonical form: keys whose value is `undefined` move to
 * `unset` (JSON cannot hold them), keys both set and unset are only set.
 * @throws SessionEncodeError for a forbidden or empty key, or a value that is not JSON-safe.
 * @throws SessionTooLargeError when the encoded `set` part alone exceeds `maxBytes`.
 */
export function normalizeChange(change: SessionChange, maxBytes = DEFAULT_MAX_SESSION_BYTES): SessionChange {
  if (!isPlainObject(change.set) || !Array.isArray(change.unset)) {
    throw new SessionEncodeError('a change is { set: object, unset: string[] }');
  }
  const set: SessionData = {};
  const unset = new Set<string>();
  for (const key of change.unset) {
    if (typeof key !== 'string') throw new SessionEncodeError(`unset holds a ${typeName(key)}, expected key names`);
    assertKey(key);
    unset.add(key);
  }
  for (const [key, value] of Object.entries(change.set)) {
    assertKey(key);
    if (value === undefined) unset.add(key);
    else {
      set[key] = value;
      unset.delete(key);
    }
  }
  encodeJson(set, maxBytes);
  return { set, unset: [...unset] };
}

/** Returns a new session: `base` with `change` applied (top-level keys only). */
export function applyChange(base: SessionData | null, change: SessionChange): SessionData {
  const next: SessionData = { ...base };
  for (const key of change.unset) delete next[key];
  Object.assign(next, change.set);
  return next;
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

function decodeJson(sid: string, text: string | Buffer): unknown {
  try {
    return secureJson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch (err) {
    throw new SessionDecodeError(sid, (err as Error).message, { cause: err });
  }
}

function assertKey(key: string): void {
  if (key === '' || FORBIDDEN_KEYS.has(key)) {
    throw new SessionEncodeError(`top-level key ${JSON.stringify(key)} is not allowed`);
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
