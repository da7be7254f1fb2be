import {
  AbstractSessionStore,
  DEFAULT_OPERATION_TIMEOUT_MS,
  type ErrorKind,
  isConnectionError,
  StoreConfigError,
  type SessionChange,
  type SessionData,
  defaultPrincipal,
} from '@sessionkit/core';
import { driverFor, type AnyRedisClient, type RedisDriver } from './client.js';
import { ExpiryEvents } from './expiry-events.js';
import { scanSids, unlinkAll } from './key-walk.js';
import { keySpace, type KeySpace } from './keys.js';
import { hashLayout, jsonLayout } from './layouts.js';
import { Link } from './link.js';
import type { NearCache, NearCacheStats } from './near-cache.js';
import { openNearCache } from './near-cache-open.js';
import { PrincipalIndex } from './principal-index.js';
import { ScriptRunner } from './script-runner.js';
import { SessionOps } from './session-ops.js';
import { checkPrincipalKeys, checkWait, type RedisSessionStoreOptions } from './store-options.js';
import { parseRedisUrl } from './url.js';

export type { RedisSessionStoreOptions, WaitReplicasOptions } from './store-options.js';

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
 *
 * Principal index (hash layout): a set per principal, `<prefix>\0principal\0<id>`, whose members
 * are sids. The set, and the principal a session is filed under (its marker field), change in the
 * same Lua script as the session (set, patch, destroy, touch), so on standalone Redis, Sentinel
 * and a Cluster whose prefix has a hash tag the index is atomic with the data. On a Cluster without
 * a hash tag the set is on another slot: the script returns the principal it replaced and the
 * store updates the set with separate commands right after (the window: a reader in between sees
 * the set one write behind; a process that dies in between leaves it so until the session's next
 * write that changes its principal). Each set's TTL is raised to its longest member's, never
 * removed, so a set outlives none of its sessions by more than the longest one; members whose
 * session expired or moved to another user are dropped when the set is read. The JSON layout has
 * no index: `idsByPrincipal` reads every session there (O(n)).
 *
 * @example
 * import { Redis } from 'ioredis'; // or: createClient() from 'redis', connected by you
 * const store = new RedisSessionStore({ client: new Redis(process.env.REDIS_URL), prefix: 'sess:' });
 * await store.set(sid, { userId: 'u1', cart: [] }, { ttlMs: 86_400_000 });
 * await store.destroyByPrincipal('u1'); // log out everywhere
 */
export class RedisSessionStore extends AbstractSessionStore {
  readonly name = 'redis';
  readonly prefix: string;
  readonly format: 'hash' | 'json';
  readonly #keys: KeySpace;
  readonly #link: Link;
  readonly #driver: RedisDriver;
  readonly #owned: boolean;
  readonly #scanCount: number;
  readonly #index: PrincipalIndex;
  readonly #ops: SessionOps;
  readonly #expiry: ExpiryEvents | undefined;
  readonly #expiryReady: Promise<void>;
  readonly #near: NearCache | undefined;

  constructor(options: RedisSessionStoreOptions) {
    super(options);
    this.#owned = (options as { [OWNS_CLIENT]?: boolean } | undefined)?.[OWNS_CLIENT] === true;
    const driver = driverFor(options?.client, this.#owned);
    this.prefix = options.prefix ?? 'sess:';
    const keys = keySpace(this.prefix, options.hashTag);
    this.#keys = keys;
    this.format = options.format ?? 'hash';
    if (this.format !== 'hash' && this.format !== 'json') {
      throw new StoreConfigError(`format must be 'hash' or 'json', got ${JSON.stringify(options.format)}`);
    }
    const layout = this.format === 'hash' ? hashLayout : jsonLayout;
    this.#scanCount = options.scanCount ?? 100;
    if (!Number.isInteger(this.#scanCount) || this.#scanCount < 1) {
      throw new StoreConfigError(`scanCount must be a positive integer, got ${options.scanCount}`);
    }
    const waitReplicas = options.waitReplicas && checkWait(options.waitReplicas, this.operationTimeoutMs);
    this.#driver = driver;
    const principalKeys = checkPrincipalKeys(options);
    if (options.events !== undefined && typeof options.events !== 'boolean')
      throw new StoreConfigError('events must be true or false');
    // Before the Link: a refused nearCache (Cluster) throws before any listener is attached to the client.
    const near = options.nearCache && openNearCache(driver, options.nearCache, (key) => this.#invalidated(key));
    this.#near = near;
    const link = new Link(
      driver,
      (up) => this.linkChanged(up),
      (err) => this.emit('error', err),
      this.operationTimeoutMs,
    );
    this.#link = link;
    const { format, maxSessionBytes } = this;
    const runner = new ScriptRunner({ keys, link, near, waitReplicas, format, maxSessionBytes });
    const principalOf = (data: SessionData) => this.principalOf(data);
    this.#index = new PrincipalIndex({
      keys,
      // the script keeps the sets where they share the session's slot (one slot, or not a Cluster)
      scripted: !driver.cluster || keys.tagged,
      format,
      principalKeys,
      principalFn: options.principal ?? defaultPrincipal,
      principalOf,
      runner,
    });
    this.#ops = new SessionOps({
      format,
      layout,
      keys,
      link,
      near,
      runner,
      index: this.#index,
      maxSessionBytes,
      tombstoneTtlMs: this.tombstoneTtlMs,
      store: {
        principalOf,
        lifecycle: (event, sid, principal) => this.lifecycle(event, sid, principal),
        listenerCount: (event) => this.listenerCount(event),
      },
    });
    this.#expiry = options.events
      ? new ExpiryEvents(
          link,
          (key) => {
            const sid = keys.sidOf(key);
            if (sid !== null) this.lifecycle('expired', sid);
          },
          (err) => this.emit('error', err),
        )
      : undefined;
    this.#expiryReady = this.#expiry?.ready ?? Promise.resolve();
  }

  /**
   * With `events: true`: resolves once the store listens for expired keys on every server (the
   * first `expired` it can report is for a key that expires after that). Rejects when it could not
   * subscribe. Without `events`: resolves at once.
   */
  eventsReady(): Promise<void> {
    return this.#expiryReady;
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

  protected read(sid: string): Promise<SessionData | null> {
    return this.#ops.read(sid);
  }

  protected write(sid: string, data: SessionData, json: string, ttlMs: number): Promise<void> {
    return this.#ops.write(sid, data, json, ttlMs);
  }

  protected merge(sid: string, change: SessionChange, ttlMs: number): Promise<void> {
    return this.#ops.merge(sid, change, ttlMs);
  }

  protected extend(sid: string, ttlMs: number): Promise<void> {
    return this.#ops.extend(sid, ttlMs);
  }

  protected remove(sid: string): Promise<void> {
    return this.#ops.remove(sid);
  }

  protected override principalIds(principal: string): AsyncIterable<string> | undefined {
    return this.format === 'hash' ? this.#index.members(principal) : undefined;
  }

  protected override removeByPrincipal(principal: string): Promise<number> | undefined {
    if (this.format !== 'hash') return undefined;
    return this.#index.remove(principal, this.tombstoneTtlMs).then((ended) => {
      for (const sid of ended) this.lifecycle('destroyed', sid, principal);
      return ended.length;
    });
  }

  protected scanIds(): AsyncIterable<string> {
    return scanSids(this.#link, this.#keys, this.#scanCount);
  }

  protected async count(): Promise<number> {
    // A Set, because SCAN may return a key twice while Redis rehashes.
    const seen = new Set<string>();
    for await (const sid of this.scanIds()) seen.add(sid);
    return seen.size;
  }

  protected removeAll(): Promise<void> {
    return unlinkAll(this.#link, this.#keys, this.#scanCount, this.#near);
  }

  protected override async release(): Promise<void> {
    this.#expiry?.close();
    await this.#near?.close();
    this.#link.detach();
    if (this.#owned) await this.#driver.close(this.operationTimeoutMs);
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
}

/** Drops a client created for a store that then refused its options. */
function abandon(client: AnyRedisClient): void {
  try {
    driverFor(client, true).disconnect();
  } catch {
    // not a client at all: nothing was connected
  }
}
