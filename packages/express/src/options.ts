import { DEFAULT_TTL_MS, StoreConfigError } from '@sessionkit/core';

/** What happens to requests while the store is unreachable. */
export type FailMode = 'open' | 'closed';

/** Where the adapter reports sessions it treats as absent (undecodable, not an express-session session). */
export interface SessionLogger {
  warn(message: string): void;
}

export interface ExpressSessionStoreOptions {
  /**
   * A request that did not change the session refreshes the stored expiry only when it was last
   * refreshed at least this many ms ago. Default: 1/10 of the cookie's `originalMaxAge`, or of
   * `defaultTtlMs` for browser-session cookies. `0` refreshes on every request.
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

export interface ResolvedOptions {
  touchAfterMs: number | undefined;
  failMode: FailMode;
  defaultTtlMs: number;
  probeIntervalMs: number;
  logger: SessionLogger;
}

/** @throws StoreConfigError for a negative or non-finite duration or an unknown `failMode`. */
export function resolveOptions(options: ExpressSessionStoreOptions): ResolvedOptions {
  const failMode = options.failMode ?? 'open';
  if (failMode !== 'open' && failMode !== 'closed') {
    throw new StoreConfigError(`failMode must be 'open' or 'closed', got ${JSON.stringify(failMode)}`);
  }
  return {
    touchAfterMs: options.touchAfterMs === undefined ? undefined : duration(options.touchAfterMs, 'touchAfterMs', 0),
    failMode,
    defaultTtlMs: duration(options.defaultTtlMs ?? DEFAULT_TTL_MS, 'defaultTtlMs', 1),
    probeIntervalMs: duration(options.probeIntervalMs ?? 1000, 'probeIntervalMs', 1),
    logger: options.logger ?? console,
  };
}

function duration(value: number, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new StoreConfigError(`${name} must be a number of milliseconds >= ${min}, got ${String(value)}`);
  }
  return value;
}
