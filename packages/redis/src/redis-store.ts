import {
  AbstractSessionStore,
  DEFAULT_OPERATION_TIMEOUT_MS,
  type ErrorKind,
  isConnectionError,
  SessionDecodeError,
  SessionTooLargeError,
  StoreConfigError,
  type BaseStoreOptions,
  type SessionChange,
  type SessionData,
} from '@sessionkit/core';
import { driverFor, type AnyRedisClient, type RedisDriver } from './client.js';
import { ReplicationError } from './errors.js';
import { keySpace, type KeySpace } from './keys.js';
import { hashLayout, jsonLayout, type Layout, type ScriptCall } from './layouts.js';
import { Link } from './link.js';
import type { NearCache, NearCacheOptions, NearCacheStats } from './near-cache.js';
import { openNearCache } from './near-cache-open.js';
import { redactError } from './redact.js';
import { parseRedisUrl } from './url.js';

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
   * Keeps up to `maxEntries` sessions in process memory, kept correct by Redis client-side caching
   * (`CLIENT TRACKING`): a read of a cached session costs no command. Needs Redis 6.2+:
   * standalone (ioredis or node-redis `createClient`) or Sentinel (ioredis); refused on Cluster and
   * on a node-redis `createSentinel` client. See the README's near cache section. Default: off.
   */
  nearCache?: NearCacheOptions;
}

/** Options for {@link RedisSessionStore.fromUrl}: everything but the client. */
export type RedisSessionStoreUrlOptions = Omit<RedisSessionStoreOptions, 'client'>;

const OWNS_CLIENT = Symbol('ownsClient');

/**
 * Session store on Redis through ioredis or node-redis: standalone, Sentinel or Cluster.
 *
 * Reads are one command (HGETALL, or GET with `format: 'json'`); set, patch and destroy are one
 * Lua script each (one round trip, atomic); touch is one PEXPIRE, which does nothing for a missing
 * key. destroy leaves a tombstone key for `tombstoneTtlMs` so a late patch cannot resurrect the
 * session. Every call settles within `operationTimeoutMs` with `StoreUnavailableError` while
 * Redis is unreachable.
 */
export class RedisSessionStore extends AbstractSessionStore {
  readonly name = 'redis';
  readonly prefix: string;
  readonly format: 'hash' | 'json';
  readonly #keys: KeySpace;
  readonly #layout: Layout;
  readonly #link: Link;
  readonly #driver: RedisDriver;
  readonly #owned: boolean;
  readonly #scanCount: number;
  readonly #waitReplicas: Required<WaitReplicasOptions> | undefined;
  readonly #near: NearCache | undefined;

  constructor(options: RedisSessionStoreOptions) {
    super(options);
    this.#owned = (options as { [OWNS_CLIENT]?: boolean } | undefined)?.[OWNS_CLIENT] === true;
    const driver = driverFor(options?.client, this.#owned);
    this.prefix = options.prefix ?? 'sess:';
    this.#keys = keySpace(this.prefix, options.hashTag);
    this.format = options.format ?? 'hash';
    if (this.format !== 'hash' && this.format !== 'json') {
      throw new StoreConfigError(`format must be 'hash' or 'json', got ${JSON.stringify(options.format)}`);
    }
    this.#layout = this.format === 'hash' ? hashLayout : jsonLayout;
    this.#scanCount = options.scanCount ?? 100;
    if (!Number.isInteger(this.#scanCount) || this.#scanCount < 1) {
      throw new StoreConfigError(`scanCount must be a positive integer, got ${options.scanCount}`);
    }
    this.#waitReplicas = options.waitReplicas && this.#checkWait(options.waitReplicas);
    this.#driver = driver;
    // Before the Link: a refused nearCache (Cluster) throws before any listener is attached to the client.
    this.#near = options.nearCache && openNearCache(driver, options.nearCache, (key) => this.#invalidated(key));
    this.#link = new Link(driver, (event, ...args) => this.emit(event, ...args), this.operationTimeoutMs);
  }

  /**
   * Creates a store with its own client from a URL: `redis://`, `rediss://`,
   * `redis+sentinel://host:port,host:port/mastername`, `redis+cluster://host:port,host:port`.
   * Query parameters `prefix`, `hashTag`, `format` set those options; `client=node-redis` makes
   * a node-redis client instead of the default ioredis one (`client=ioredis`);
   * `nearCache=<maxEntries>` (and `nearCacheMaxAgeMs=<ms>`) turns the near cache on. The client uses
   * the fail-fast settings documented in the README, connects on first use, and `close()` quits it.
   * @throws StoreConfigError for a URL of another form, an unknown `client=`, a `nearCache` that
   *   is not a positive integer, or when the client's package (ioredis, or redis for node-redis)
   *   is not installed.
   * @example
   * const store = RedisSessionStore.fromUrl('redis://127.0.0.1:6379/0?client=node-redis&prefix=app:');
   */
  static fromUrl(url: string, options: RedisSessionStoreUrlOptions = {}): RedisSessionStore {
    const parsed = parseRedisUrl(url);
    const merged = { ...parsed.options, ...options } as RedisSessionStoreUrlOptions;
    const client = parsed.create(merged.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS);
    try {
      return new RedisSessionStore({ ...merged, client, [OWNS_CLIENT]: true } as RedisSessionStoreOptions);
    } catch (err) {
      abandon(client);
      throw err;
    }
  }

  /** The client this store sends its commands through: ioredis or node-redis, as handed in or created. */
  get client(): AnyRedisClient {
    return this.#driver.client;
  }

  /**
   * Calls waiting right now for the client's first connection (a diagnostic figure). Each waits at
   * most operationTimeoutMs and is then dropped, so this is 0 once the calls made while Redis was
   * never reachable have settled: they cannot pile up.
   */
  get waitingForConnection(): number {
    return this.#link.waiting;
  }

  /** The near cache's state and counters; `undefined` when the `nearCache` option is off. */
  get nearCache(): NearCacheStats | undefined {
    return this.#near?.stats();
  }

  protected async read(sid: string): Promise<SessionData | null> {
    const key = this.#keys.session(sid);
    // Without an entry nothing is awaited: the command goes out in this turn, as without the cache.
    const hit = this.#near?.get(key, sid);
    const cached = hit && (await hit);
    if (cached) return cached;
    const driver = await this.#link.ready();
    try {
      if (this.#near)
        return await this.#near.fill(
          key,
          () => this.#layout.read(driver, key, sid),
          () => driver.pttl(key),
        );
      return await this.#layout.read(driver, key, sid);
    } catch (err) {
      throw this.#mapReply(err, sid);
    }
  }

  protected async write(sid: string, data: SessionData, json: string, ttlMs: number): Promise<void> {
    await this.#run('set', sid, this.#layout.set(data, json, ttlMs));
    await this.#near?.fence();
  }

  protected async merge(sid: string, change: SessionChange, ttlMs: number): Promise<void> {
    await this.#run('patch', sid, this.#layout.patch(change, ttlMs, this.maxSessionBytes));
    await this.#near?.fence();
  }

  protected async extend(sid: string, ttlMs: number): Promise<void> {
    const key = this.#keys.session(sid);
    this.#near?.drop(key);
    const driver = await this.#link.ready();
    try {
      // PEXPIRE does nothing for a missing key, so a touch never creates or resurrects a session.
      await driver.pexpire(key, Math.ceil(ttlMs));
    } catch (err) {
      throw redactError(err);
    } finally {
      this.#near?.drop(key);
    }
    await this.#near?.fence();
  }

  protected async remove(sid: string): Promise<void> {
    await this.#run('destroy', sid, { script: 'sessionkitDestroy', argv: [Math.ceil(this.tombstoneTtlMs)] });
    await this.#near?.fence();
  }

  protected async *scanIds(): AsyncIterable<string> {
    const driver = await this.#link.ready();
    try {
      for await (const { keys } of driver.scan(this.#keys.pattern, this.#scanCount)) {
        for (const key of keys) {
          const sid = this.#keys.sidOf(key);
          if (sid !== null) yield sid;
        }
      }
    } catch (err) {
      throw redactError(err);
    }
  }

  protected async count(): Promise<number> {
    // A Set, because SCAN may return a key twice while Redis rehashes.
    const seen = new Set<string>();
    for await (const sid of this.scanIds()) seen.add(sid);
    return seen.size;
  }

  protected async removeAll(): Promise<void> {
    this.#near?.flushAll();
    const driver = await this.#link.ready();
    try {
      for await (const batch of driver.scan(this.#keys.pattern, this.#scanCount)) {
        const keys = batch.keys.filter((key) => this.#keys.sidOf(key) !== null);
        if (keys.length > 0) await driver.unlink({ node: batch.node, keys });
      }
    } catch (err) {
      throw redactError(err);
    } finally {
      this.#near?.flushAll();
    }
    await this.#near?.fence();
  }

  protected override async release(): Promise<void> {
    await this.#near?.close();
    this.#link.detach();
    if (this.#owned) await this.#driver.close(this.operationTimeoutMs);
  }

  /** Runs one script for `sid`, followed by WAIT in the same round trip when waitReplicas is on. */
  async #run(operation: string, sid: string, { script, argv }: ScriptCall): Promise<void> {
    const key = this.#keys.session(sid);
    // This store reads its own writes: the entry goes before the write and again once answered.
    this.#near?.drop(key);
    const driver = await this.#link.ready();
    const tombstone = this.#keys.tombstone(sid);
    try {
      if (!this.#waitReplicas) {
        await driver.script(script, key, tombstone, argv);
        return;
      }
      const { count, timeoutMs } = this.#waitReplicas;
      const acknowledged = await driver.scriptThenWait(script, key, tombstone, argv, count, timeoutMs);
      if (!(acknowledged >= count)) throw new ReplicationError(acknowledged, count, operation);
    } catch (err) {
      throw this.#mapReply(err, sid);
    } finally {
      this.#near?.drop(key);
    }
  }

  /** An invalidation of one of this store's keys reached the near cache: `nearCacheInvalidation` with `{ sid }`, for measurements. */
  #invalidated(key: string): void {
    if (this.listenerCount('nearCacheInvalidation') === 0) return;
    const sid = this.#keys.sidOf(key);
    if (sid !== null) this.emit('nearCacheInvalidation', { sid });
  }

  /**
   * How a Redis error counts, beyond core's lost-connection and timeout errors:
   * - `unavailable`: the server cannot serve anyone right now (LOADING, BUSY, MASTERDOWN,
   *   CLUSTERDOWN, TRYAGAIN, READONLY after a failover), ioredis' `Command timed out`, and a
   *   Cluster with no reachable node;
   * - `data`: this call's arguments were too large to build or to send (a `RangeError` while
   *   building the command, Redis' protocol limits): the caller's input, not an outage;
   * - `operation`: any other reply error (OOM, NOPERM, a script error): this call fails only.
   * A data error rejects one call and never touches availability: only the client's own
   * `close`/`end` make the store emit `disconnect`.
   */
  protected override classifyError(err: unknown): ErrorKind {
    if (isConnectionError(err)) return 'unavailable';
    const message = err instanceof Error ? err.message : String(err);
    // A failover's replies, also when a script's redis.call passes them on inside its own error.
    if (/(^|[\s:-])(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|NOREPLICAS|UNBLOCKED)\b/.test(message))
      return 'unavailable';
    if (/^Command timed out|none of startup nodes is available|too many cluster redirections/i.test(message))
      return 'unavailable';
    if (err instanceof RangeError) return 'data';
    if (/^ERR (Protocol error: (invalid|too big)|string exceeds maximum allowed size)/i.test(message)) return 'data';
    return 'operation';
  }

  /** Turns the replies that mean "stored bytes are bad" into session errors; the rest pass to the base class, redacted. */
  #mapReply(err: unknown, sid: string): unknown {
    const message = err instanceof Error ? err.message : '';
    if (message.startsWith('SESSIONKIT_DECODE ')) {
      return new SessionDecodeError(sid, message.slice('SESSIONKIT_DECODE '.length), { cause: err });
    }
    if (message.startsWith('SESSIONKIT_TOO_LARGE ')) {
      return new SessionTooLargeError(Number(message.slice('SESSIONKIT_TOO_LARGE '.length)), this.maxSessionBytes);
    }
    if (message.startsWith('WRONGTYPE')) {
      return new SessionDecodeError(
        sid,
        `the key holds another Redis type than format '${this.format}' writes; is format set to the layout the sessions were written with?`,
        { cause: err },
      );
    }
    return redactError(err);
  }

  #checkWait({
    count,
    timeoutMs = Math.floor(this.operationTimeoutMs / 2),
  }: WaitReplicasOptions): Required<WaitReplicasOptions> {
    if (!Number.isInteger(count) || count < 1)
      throw new StoreConfigError(`waitReplicas.count must be a positive integer, got ${count}`);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs >= this.operationTimeoutMs) {
      throw new StoreConfigError(
        `waitReplicas.timeoutMs must be a whole number of ms from 1 to below operationTimeoutMs (${this.operationTimeoutMs}), got ${timeoutMs}`,
      );
    }
    return { count, timeoutMs };
  }
}

/** Drops a client created for a store that then refused its options. */
function abandon(client: AnyRedisClient): void {
  try {
    driverFor(client, true).disconnect();
  } catch {
    // not a client at all: nothing was connected
  }
}
