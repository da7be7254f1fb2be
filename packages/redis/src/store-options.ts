import { type BaseStoreOptions, DEFAULT_PRINCIPAL_KEYS, StoreConfigError } from '@sessionkit/core';
import type { AnyRedisClient } from './client.js';
import type { ReplicationError } from './errors.js';
import type { NearCacheOptions } from './near-cache.js';

/** Durability check after each write; see {@link RedisSessionStoreOptions.waitReplicas}. */
export interface WaitReplicasOptions {
  /** Replicas that must acknowledge a write (Redis `WAIT numreplicas`). */
  count: number;
  /** How long Redis waits for them, in ms; must be below operationTimeoutMs. Default: half of operationTimeoutMs. */
  timeoutMs?: number;
}

export interface RedisSessionStoreOptions extends BaseStoreOptions {
  /**
   * Your client, of either library; `close()` leaves it open:
   * - ioredis: a `Redis` (standalone, or configured with `sentinels` + `name`) or a `Cluster`. It
   *   must not use ioredis's `keyPrefix` (use `prefix`). A `lazyConnect` client connects on the
   *   store's first call.
   * - node-redis v5+ (the `redis` package): a client from `createClient`, `createCluster` or
   *   `createSentinel`. Connect it yourself (`await client.connect()`), as with connect-redis;
   *   until it is ready, calls wait for it up to operationTimeoutMs.
   * The library is told from the object's shape.
   */
  client: AnyRedisClient;
  /** Key prefix; a session lives at `<prefix><sid>`. Default `'sess:'` (connect-redis's). */
  prefix?: string;
  /** Puts every session key in one Cluster hash slot: keys become `<prefix>{<hashTag>}<sid>`. Default: none. */
  hashTag?: string;
  /**
   * `'hash'` (default): one hash per session, one field per top-level key, delta writes.
   * `'json'`: connect-redis's layout (one JSON string per key), to switch from connect-redis
   * without logging everyone out.
   */
  format?: 'hash' | 'json';
  /** SCAN COUNT hint for ids()/length()/clear(). Default 100. */
  scanCount?: number;
  /**
   * After every set/patch/destroy, send `WAIT count timeoutMs` in the same round trip; when fewer
   * replicas acknowledge, the call rejects with {@link ReplicationError} (the write is applied on
   * the master). Default: off.
   */
  waitReplicas?: WaitReplicasOptions;
  /**
   * The top-level session keys your `principal` function reads. A patch that touches none of them
   * leaves the principal index alone; one that does is filed in the same script (one round trip)
   * when the change alone decides the principal, else after reading these keys first. Default
   * `['passport', 'userId']` with the default `principal`; with your own `principal` and no
   * `principalKeys`, every patch reads the whole session first (correct, one more round trip).
   */
  principalKeys?: string[];
  /**
   * Deliver `expired` lifecycle events, from Redis keyspace notifications: the store subscribes to
   * `__keyevent@<db>__:expired` on a connection of its own (on every master of a Cluster) and
   * enables `notify-keyspace-events Ex` with CONFIG SET when it is allowed to; when not, it emits
   * an `error` saying what to configure. `created` and `destroyed` are delivered without it (from
   * the replies of the store's own scripts). Default `false`.
   */
  events?: boolean;
  /**
   * Keeps up to `maxEntries` sessions in process memory, kept correct by Redis client-side caching
   * (`CLIENT TRACKING`): a read of a cached session costs no command. Needs Redis 6.2+:
   * standalone (ioredis or node-redis `createClient`) or Sentinel (ioredis); refused on Cluster and
   * on a node-redis `createSentinel` client. See the README's near cache section. Default: off.
   */
  nearCache?: NearCacheOptions;
}

/**
 * The `waitReplicas` option with its default timeout (half of `operationTimeoutMs`) filled in.
 * @throws StoreConfigError when count is not a positive integer or timeoutMs not a whole number of
 *   ms from 1 to below operationTimeoutMs.
 */
export function checkWait(wait: WaitReplicasOptions, operationTimeoutMs: number): Required<WaitReplicasOptions> {
  const { count, timeoutMs = Math.floor(operationTimeoutMs / 2) } = wait;
  if (!Number.isInteger(count) || count < 1)
    throw new StoreConfigError(`waitReplicas.count must be a positive integer, got ${count}`);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs >= operationTimeoutMs) {
    throw new StoreConfigError(
      `waitReplicas.timeoutMs must be a whole number of ms from 1 to below operationTimeoutMs (${operationTimeoutMs}), got ${timeoutMs}`,
    );
  }
  return { count, timeoutMs };
}

/**
 * The keys the principal is read from: `principalKeys`, else the default principal's keys when
 * `principal` is the default; `undefined`: any key may be.
 * @throws StoreConfigError when principalKeys is not an array of non-empty strings.
 */
export function checkPrincipalKeys(options: RedisSessionStoreOptions): ReadonlySet<string> | undefined {
  const keys = options.principalKeys ?? (options.principal === undefined ? [...DEFAULT_PRINCIPAL_KEYS] : undefined);
  if (keys !== undefined && (!Array.isArray(keys) || keys.some((key) => typeof key !== 'string' || key === ''))) {
    throw new StoreConfigError('principalKeys must be an array of top-level session keys (non-empty strings)');
  }
  return keys && new Set(keys);
}
