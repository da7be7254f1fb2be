/**
 * Why a session cookie was not accepted. The request goes on with a fresh, empty session and the
 * reason is reported once through the `invalid` event; the cookie's content is never reported.
 *
 * - `malformed`: not five dot-separated base64url segments (truncated, non-base64, not JWE compact)
 * - `header`: the protected header is not a JSON object, or carries `crit` or an unknown `zip`
 * - `alg`: `alg`/`enc` other than `dir` + `A256GCM` (`none` included), or an encrypted key present
 * - `kid-missing`: the header names no key
 * - `kid-unknown`: sealed with a key no longer listed in `secrets`
 * - `tampered`: AES-GCM authentication failed (changed bytes, wrong key, glued-together parts)
 * - `payload`: the decrypted text is not the expected claims object, or does not decompress
 * - `forbidden-key`: the payload carries `__proto__` / `constructor.prototype`
 * - `expired`: `exp` inside the seal has passed
 * - `chunk-count`: the first chunk's count is out of range (`2..maxChunks`)
 * - `chunk-missing`: a chunk the first one announces is absent
 * - `chunk-mismatch`: chunks from different seals, or a count that lies
 * - `too-large`: the session cookies together exceed what `maxChunks` chunks can hold
 * - `revoked`: the session's user was revoked (`revokeUser`) after the session was issued
 */
export type InvalidReason =
  | 'malformed'
  | 'header'
  | 'alg'
  | 'kid-missing'
  | 'kid-unknown'
  | 'tampered'
  | 'payload'
  | 'forbidden-key'
  | 'expired'
  | 'chunk-count'
  | 'chunk-missing'
  | 'chunk-mismatch'
  | 'too-large'
  | 'revoked';

/** What the `invalid` event carries: the reason and the cookie's name, never its content. */
export interface InvalidCookieEvent {
  reason: InvalidReason;
  /** Name of the session cookie (its first chunk). */
  name: string;
}

/** A failed open: the reason, for the `invalid` event. */
export interface Rejected {
  readonly rejected: InvalidReason;
}

export function rejected(reason: InvalidReason): Rejected {
  return { rejected: reason };
}

export function isRejected(value: unknown): value is Rejected {
  return typeof value === 'object' && value !== null && 'rejected' in value;
}
