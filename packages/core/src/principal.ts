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

/** What {@link principalOfChange} answers when the change alone does not decide the principal. */
export const UNDECIDED: unique symbol = Symbol('principal undecided by the change');

/**
 * The principal a session will have after `change`, when the change alone decides it: the
 * principal function is run on a view of the session that holds only the keys the change sets or
 * removes, and any read, listing or test of another key makes the answer {@link UNDECIDED} (as does
 * a function that throws: the caller then computes it from the whole session, which reports the
 * failure). A login that sets `passport` is decided; a cart change, or a logout that removes
 * `passport` while `userId` may remain, is not. Lets a store file the principal in the same
 * statement or script as the change, before it knows the rest of the session.
 * @returns the id, `undefined` (anonymous), or UNDECIDED.
 */
export function principalOfChange(
  change: { set: SessionData; unset: readonly string[] },
  principal: PrincipalFunction = defaultPrincipal,
): string | undefined | typeof UNDECIDED {
  const known = new Map<string, unknown>();
  for (const key of change.unset) known.set(key, undefined);
  for (const key of Object.keys(change.set)) known.set(key, change.set[key]);
  const unknown = (): never => {
    throw UNDECIDED;
  };
  const view = new Proxy(Object.create(null) as SessionData, {
    get: (_, key) => (typeof key === 'string' && known.has(key) ? known.get(key) : unknown()),
    has: (_, key) => (typeof key === 'string' && known.has(key) ? known.get(key) !== undefined : unknown()),
    ownKeys: unknown,
    getOwnPropertyDescriptor: unknown,
  });
  try {
    return principalOf(view, principal);
  } catch {
    return UNDECIDED;
  }
}
