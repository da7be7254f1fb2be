import { InvalidSessionIdError } from './errors.js';

/** Longest accepted session id, in UTF-16 code units. */
export const MAX_SESSION_ID_LENGTH = 256;

// C0 controls, DEL and C1 controls: they can split a log line, a header or a protocol frame.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * True when `sid` is an id express-session's `genid` may produce and every store accepts: a string
 * of 1 to {@link MAX_SESSION_ID_LENGTH} characters, no control characters, well-formed UTF-16. Any
 * other character (`/`, `%`, `*`, `'`, spaces, non-ASCII) is allowed: stores pass sids as values,
 * never as patterns or SQL, so no sid can confuse a key prefix, a SCAN pattern, a query or a frame.
 */
export function isValidSessionId(sid: unknown): sid is string {
  return (
    typeof sid === 'string' &&
    sid.length > 0 &&
    sid.length <= MAX_SESSION_ID_LENGTH &&
    !CONTROL_CHARACTERS.test(sid) &&
    sid.isWellFormed()
  );
}

/** Throws `InvalidSessionIdError` unless {@link isValidSessionId} accepts `sid`. */
export function assertSessionId(sid: unknown): asserts sid is string {
  if (!isValidSessionId(sid)) throw new InvalidSessionIdError(sid);
}
