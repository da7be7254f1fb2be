import { InvalidPrincipalError, SessionEncodeError } from './errors.js';
import { byteLength } from './codec.js';
import type { SessionData } from './types.js';

/** Longest principal id, in UTF-8 bytes. */
export const MAX_PRINCIPAL_BYTES = 256;

/**
 * Names the user a session belongs to, or `undefined` for an anonymous session. Stores use it to
 * prefer evicting anonymous sessions over logged-in ones.
 */
export type PrincipalFunction = (data: SessionData) => unknown;

/** The top-level keys {@link defaultPrincipal} reads. */
export const DEFAULT_PRINCIPAL_KEYS: readonly string[] = ['passport', 'userId'];

/** The default principal: passport's `session.passport.user`, else `session.userId`. */
export const defaultPrincipal: PrincipalFunction = (data) =>
  (data['passport'] as { user?: unknown } | undefined)?.user ?? data['userId'];

/**
 * The principal id of `data` as a string: strings as they are, numbers and booleans through
 * `String`, objects as JSON; `undefined` for `null`, `undefined` and `''`.
 * @throws SessionEncodeError when the id is longer than {@link MAX_PRINCIPAL_BYTES} UTF-8 bytes.
 * @throws whatever `principal` throws; stores catch it and save the session without a principal.
 */
export function principalOf(data: SessionData, principal: PrincipalFunction = defaultPrincipal): string | undefined {
  const value = principal(data);
  if (value === undefined || value === null || value === '') return undefined;
  const id = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (byteLength(id) > MAX_PRINCIPAL_BYTES) {
    throw new SessionEncodeError(
      `the principal id is ${byteLength(id)} bytes, over the ${MAX_PRINCIPAL_BYTES} byte limit`,
    );
  }
  return id;
}

/**
 * The principal id to look up for the argument of `idsByPrincipal` / `destroyByPrincipal`: a
 * string as it is, a finite number as `String(n)` (as {@link principalOf} stores it).
 * @throws InvalidPrincipalError for anything else, an empty string, or more than {@link MAX_PRINCIPAL_BYTES} UTF-8 bytes.
 */
export function principalQuery(id: unknown): string {
  let text: string;
  if (typeof id === 'string') text = id;
  else if (typeof id === 'number' && Number.isFinite(id)) text = String(id);
  else throw new InvalidPrincipalError(id, 'expected a string or a finite number');
  if (text === '') throw new InvalidPrincipalError(id, 'an empty id names no user');
  if (byteLength(text) > MAX_PRINCIPAL_BYTES)
    throw new InvalidPrincipalError(id, `over ${MAX_PRINCIPAL_BYTES} UTF-8 bytes`);
  return text;
}
