import { SessionEncodeError } from './errors.js';

/**
 * Deepest JSON document a session may be, counting the session object itself as depth 1. MariaDB
 * refuses JSON nested deeper than 32; one limit for every store keeps them interchangeable.
 */
export const MAX_SESSION_DEPTH = 32;

/** Default `maxSessionKeys`: most top-level keys in a session, or in one change. */
export const DEFAULT_MAX_SESSION_KEYS = 2000;

/**
 * Checks one session value against the rules every store shares. A value is stored as
 * `JSON.parse(JSON.stringify(value))` would give it back, so:
 * - strings (`\u0000` included), finite numbers, booleans, `null`, arrays and objects round-trip;
 * - `toJSON` is honoured (`Date` becomes its ISO string, express-session's `Cookie` its plain form);
 * - `undefined`, functions and Symbols are dropped from objects and become `null` in arrays, and a
 *   top-level key holding one is removed; `NaN` and `±Infinity` become `null`;
 * - refused: BigInt, `Map`, `Set`, `WeakMap`, `WeakSet` (JSON would silently store `{}`), strings or
 *   keys with a lone UTF-16 surrogate (no UTF-8 form; PostgreSQL and MariaDB reject them), and
 *   nesting deeper than {@link MAX_SESSION_DEPTH} levels (which also catches cycles).
 *
 * `depth` is the depth of the container holding `value` (1 for a top-level key of the session).
 * Returns `true` when `value` is already in its stored form, so callers can skip a JSON round trip.
 * @throws SessionEncodeError naming the offending value's path, e.g. `session.cart[3].name`.
 */
export function checkValue(value: unknown, depth: number, path: string): boolean {
  try {
    return check(value, depth);
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    throw new SessionEncodeError(`${path}${err.path.reverse().join('')} holds ${err.what}`);
  }
}

/** Thrown inside the walk; the path is collected on the way out, so the happy path builds no strings. */
class Refusal {
  readonly path: string[] = [];
  constructor(readonly what: string) {}
}

function check(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) throw new Refusal('a string with a lone UTF-16 surrogate');
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'boolean':
      return true;
    case 'undefined':
    case 'function':
    case 'symbol':
      return false;
    case 'bigint':
      throw new Refusal('a BigInt (convert it to a string or number)');
    default:
      return value === null || checkObject(value as object, depth + 1);
  }
}

function checkObject(value: object, depth: number): boolean {
  if (depth > MAX_SESSION_DEPTH) throw new Refusal(`nesting deeper than ${MAX_SESSION_DEPTH} levels (or a cycle)`);
  if (value instanceof Map || value instanceof Set || value instanceof WeakMap || value instanceof WeakSet) {
    throw new Refusal(`a ${value.constructor.name}, which JSON would store as {} (convert it to an object or array)`);
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    check((value as { toJSON(): unknown }).toJSON(), depth - 1);
    return false;
  }
  let canonical = true;
  let at: string | number = '';
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        at = i;
        if (!check(value[i], depth)) canonical = false;
      }
      return canonical;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) canonical = false;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      at = key;
      if (!key.isWellFormed()) throw new Refusal('a key with a lone UTF-16 surrogate');
      if (!check((value as Record<string, unknown>)[key], depth)) canonical = false;
    }
    return canonical;
  } catch (err) {
    if (err instanceof Refusal) err.path.push(typeof at === 'number' ? `[${at}]` : `.${at}`);
    throw err;
  }
}
