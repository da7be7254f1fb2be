import { StoreConfigError } from '@sessionkit/core';
import type { Redis } from 'ioredis';
import type { RedisDriver } from './client.js';
import { IoredisTrackingLink } from './ioredis-tracking-link.js';
import { NearCache, type NearCacheOptions } from './near-cache.js';
import { type NodeRedisStandalone, NodeRedisTrackingLink } from './node-redis-tracking-link.js';

/**
 * Creates the near cache for the store's client and starts its invalidation link; this is where
 * a client library plugs in its {@link InvalidationLink} implementation.
 * @throws StoreConfigError for a Redis Cluster client of either library (tracking would have to
 *   follow every node connection and every slot migration, which this version does not do), and
 *   for a node-redis Sentinel client (`createSentinel`, whose connections are a pool).
 */
export function openNearCache(
  driver: RedisDriver,
  options: NearCacheOptions,
  onInvalidate: (key: string) => void,
): NearCache {
  const { client } = driver;
  const shape = client as unknown as Record<string, unknown>;
  if (shape['isCluster'] === true || typeof shape['nodeClient'] === 'function') {
    throw new StoreConfigError(
      'nearCache is not supported on Redis Cluster: client-side caching would have to be tracked per node connection and across slot migrations; use it with a standalone or Sentinel Redis, or leave nearCache off',
    );
  }
  if (
    driver.kind === 'node-redis' &&
    (typeof shape['duplicate'] !== 'function' || typeof shape['acquire'] === 'function')
  ) {
    throw new StoreConfigError(
      'nearCache on node-redis needs a client from createClient (standalone); with Sentinel use an ioredis client, or leave nearCache off',
    );
  }
  const cache = new NearCache(options, onInvalidate);
  cache.start(
    driver.kind === 'node-redis'
      ? NodeRedisTrackingLink.attach(client as unknown as NodeRedisStandalone)
      : IoredisTrackingLink.attach(client as Redis),
  );
  return cache;
}

/**
 * The `nearCache` option from a store URL's query: `nearCache=<maxEntries>` and optionally
 * `nearCacheMaxAgeMs=<ms>`.
 * @throws StoreConfigError when either is not a positive integer written in decimal digits.
 */
export function nearCacheFromQuery(maxEntries: string, maxAgeMs: string | null): NearCacheOptions {
  const entries = positiveInteger(maxEntries);
  if (entries === undefined)
    throw new StoreConfigError(
      `nearCache in a store URL must be a positive integer (the most sessions kept in memory), got ${JSON.stringify(maxEntries)}`,
    );
  if (maxAgeMs === null) return { maxEntries: entries };
  const age = positiveInteger(maxAgeMs);
  if (age === undefined)
    throw new StoreConfigError(
      `nearCacheMaxAgeMs in a store URL must be a positive integer of ms, got ${JSON.stringify(maxAgeMs)}`,
    );
  return { maxEntries: entries, maxAgeMs: age };
}

function positiveInteger(text: string): number | undefined {
  if (!/^[0-9]{1,15}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= 1 ? value : undefined;
}
