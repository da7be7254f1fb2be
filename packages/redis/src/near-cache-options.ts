import { StoreConfigError } from '@sessionkit/core';

/** Default {@link NearCacheOptions.maxAgeMs}: one minute. */
export const DEFAULT_NEAR_CACHE_MAX_AGE_MS = 60_000;

/**
 * Options of the near cache (`RedisSessionStore`'s `nearCache` option, or `?nearCache=<maxEntries>`
 * in a store URL).
 */
export interface NearCacheOptions {
  /** Most sessions kept in process memory; the least recently read go first. A positive integer. */
  maxEntries: number;
  /**
   * Longest an entry is served from memory after it was read from Redis, in ms, whatever Redis
   * says. It bounds how long a lost invalidation could go unnoticed on a half-open connection.
   * Default {@link DEFAULT_NEAR_CACHE_MAX_AGE_MS} (60 000).
   */
  maxAgeMs?: number;
  /** Where the one warning goes when Redis refuses client-side caching. Default `console`. */
  logger?: { warn(message: string): void };
}

/** Where the near cache is, for diagnostics and tests. */
export type NearCacheState =
  /** Tracking is being established (at start, or after a connection dropped): reads go to Redis. */
  | 'connecting'
  /** Redis tracks this store's reads and reports changes: reads are served from memory. */
  | 'tracking'
  /** Redis refused client-side caching (CLIENT disabled, REDIRECT refused): reads go to Redis, for good. */
  | 'refused'
  /** The store was closed. */
  | 'closed';

/** A snapshot of the near cache's counters. */
export interface NearCacheStats {
  state: NearCacheState;
  /** Sessions held right now. */
  entries: number;
  /** Reads answered from memory since the store was created. */
  hits: number;
  /** Reads that went to Redis while tracking was on. */
  misses: number;
  /** Times the whole cache was dropped because tracking was lost (a connection dropped or reconnected). */
  flushes: number;
}

/**
 * Validates the `nearCache` option.
 * @throws StoreConfigError when maxEntries is not a positive integer or maxAgeMs not a positive number.
 */
export function checkOptions(options: NearCacheOptions): NearCacheOptions {
  if (typeof options !== 'object' || options === null) {
    throw new StoreConfigError('nearCache must be { maxEntries, maxAgeMs? }');
  }
  const { maxEntries, maxAgeMs } = options;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new StoreConfigError(`nearCache.maxEntries must be a positive integer, got ${String(maxEntries)}`);
  }
  if (maxAgeMs !== undefined && !(typeof maxAgeMs === 'number' && Number.isFinite(maxAgeMs) && maxAgeMs > 0)) {
    throw new StoreConfigError(`nearCache.maxAgeMs must be a positive number of ms, got ${String(maxAgeMs)}`);
  }
  if (options.logger !== undefined && typeof options.logger?.warn !== 'function') {
    throw new StoreConfigError('nearCache.logger must have a warn(message) method');
  }
  return options;
}
