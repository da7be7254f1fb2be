import { DEFAULT_TTL_MS, StoreConfigError, type FailMode, type SessionLogger } from '@sessionkit/core';

export type { FailMode, SessionLogger };

export interface ExpressSessionStoreOptions {
  /**
   * A request that did not change the session refreshes the stored expiry only when it was last
   * refreshed at least this many ms ago. Default: 1/10 of the session's TTL (the cookie's
   * `maxAge`, or `defaultTtlMs` for browser-session cookies). `0` refreshes on every request.
   */
  touchAfterMs?: number;
  /**
   * `'open'` (default): while the store is unreachable requests are served without a session.
   * `'closed'`: they fail with a `StoreUnavailableError` carrying `status` 503.
   */
  failMode?: FailMode;
  /** TTL in ms for sessions whose cookie has no expiry (browser-session cookies). Default 86400000 (one day). */
  defaultTtlMs?: number;
  /** While the store is unreachable, it is probed with one read this often, in ms. Default 1000. */
  probeIntervalMs?: number;
  /** Receives one warning per sid whose stored session is treated as absent. Default `console`. */
  logger?: SessionLogger;
}

/** @throws StoreConfigError for a `defaultTtlMs` that is not a positive number (the other options are checked by the tracker). */
export function defaultTtlOf(options: ExpressSessionStoreOptions): number {
  const value = options.defaultTtlMs ?? DEFAULT_TTL_MS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1) {
    throw new StoreConfigError(`defaultTtlMs must be a number of milliseconds >= 1, got ${String(value)}`);
  }
  return value;
}
