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

/** The sid does not match {@link SESSION_ID_PATTERN}; thrown before anything reaches a driver. */
export class InvalidSessionIdError extends SessionStoreError {
  constructor(sid: unknown) {
    super(
      'ERR_SESSION_ID_INVALID',
      `Invalid session id ${describe(sid)}: expected 8 to 160 characters of A-Z a-z 0-9 . _ : -`,
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

/** The session data cannot be encoded as JSON (cycle, BigInt, `__proto__` key, not an object); nothing was written. */
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
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return `${JSON.stringify(shown)} (length ${value.length})`;
}
