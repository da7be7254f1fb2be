/**
 * Every error a sessionkit store throws extends {@link SessionStoreError} and carries a stable
 * `code`, so callers can branch on `err.code` even when two copies of this package are loaded
 * (ESM and CJS side by side), where `instanceof` would fail.
 */
export class SessionStoreError extends Error {
  /** Stable machine-readable code, e.g. `ERR_SESSION_ID_INVALID`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The sid is not 1 to 256 characters of well-formed UTF-16 without control characters; thrown before anything reaches a driver. */
export class InvalidSessionIdError extends SessionStoreError {
  constructor(sid: unknown) {
    super(
      'ERR_SESSION_ID_INVALID',
      `Invalid session id ${describe(sid)}: expected a string of 1 to 256 characters, no control characters, well-formed UTF-16`,
    );
  }
}

/** The encoded session is larger than `maxSessionBytes`; nothing was written. */
export class SessionTooLargeError extends SessionStoreError {
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(
      'ERR_SESSION_TOO_LARGE',
      `Session is ${bytes} bytes encoded, over the ${maxBytes} byte limit (maxSessionBytes); nothing was written. Keep large data out of the session or raise maxSessionBytes.`,
    );
  }
}

/**
 * The session data is outside what every store accepts (see `checkValue`: BigInt, Map/Set, lone
 * surrogates, nesting over 32, more than `maxSessionKeys` keys, a `__proto__` key, not an object),
 * or the backend refused this one session's data. Nothing was written; the store stays available.
 * Framework adapters answer it with 400.
 */
export class SessionEncodeError extends SessionStoreError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('ERR_SESSION_ENCODE', `Session data cannot be stored: ${reason}; nothing was written.`, options);
  }
}

/** Stored bytes do not decode to a session object. The framework adapters treat the session as absent. */
export class SessionDecodeError extends SessionStoreError {
  constructor(
    readonly sid: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('ERR_SESSION_DECODE', `Stored session ${sid} does not decode: ${reason}`, options);
  }
}

/**
 * The backend did not answer within `operationTimeoutMs`, refused the connection, or failed in
 * transit. The operation may or may not have been applied; retrying is safe for every store method.
 */
export class StoreUnavailableError extends SessionStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_STORE_UNAVAILABLE', message, options);
  }
}

/**
 * The backend refused this one operation for a reason that is neither the caller's data nor a lost
 * connection (a missing table, a permission, a script error). Only this call fails; the store stays
 * available and emits no `disconnect`.
 */
export class StoreOperationError extends SessionStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_STORE_OPERATION', message, options);
  }
}

/**
 * The argument of `idsByPrincipal` / `destroyByPrincipal` is not a user id a session can carry: a
 * non-empty string or a finite number, at most 256 UTF-8 bytes. Thrown before anything reaches a driver.
 */
export class InvalidPrincipalError extends SessionStoreError {
  constructor(id: unknown, reason: string) {
    super(
      'ERR_PRINCIPAL_INVALID',
      `Invalid principal id ${describe(id)}: ${reason}; pass the user id as principal(data) returns it (a string or number of at most 256 UTF-8 bytes)`,
    );
  }
}

/** A store option or store URL is invalid (unknown scheme, unsafe table name, bad number). */
export class StoreConfigError extends SessionStoreError {
  constructor(message: string) {
    super('ERR_STORE_CONFIG', message);
  }
}

/** True when `err` is a sessionkit error with the given code (works across package copies). */
export function isSessionStoreError(err: unknown, code?: string): err is SessionStoreError {
  if (typeof err !== 'object' || err === null) return false;
  const c = (err as { code?: unknown }).code;
  return typeof c === 'string' && c.startsWith('ERR_') && (code === undefined || c === code) && err instanceof Error;
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return `(${value === null ? 'null' : typeof value})`;
  // Only a prefix, escaped by JSON.stringify, so control characters cannot reach a log line.
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return `${JSON.stringify(shown)} (length ${value.length})`;
}
