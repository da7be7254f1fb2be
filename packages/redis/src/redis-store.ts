import {
  AbstractSessionStore,
  DEFAULT_OPERATION_TIMEOUT_MS,
  type ErrorKind,
  isConnectionError,
  SessionDecodeError,
  SessionTooLargeError,
  StoreConfigError,
  type BaseStoreOptions,
  type PrincipalFunction,
  type SessionChange,
  type SessionData,
  defaultPrincipal,
  principalOfChange,
  StoreOperationError,
  UNDECIDED,
} from '@sessionkit/core';
import { driverFor, type AnyRedisClient, type RedisDriver } from './client.js';
import { ReplicationError } from './errors.js';
import { listenForExpiry } from './expiry-events.js';
import { keySpace, type KeySpace } from './keys.js';
import { hashLayout, jsonLayout, type IndexArgs, type Layout, type ScriptCall } from './layouts.js';
import { Link } from './link.js';
import type { NearCache, NearCacheOptions, NearCacheStats } from './near-cache.js';
import { openNearCache } from './near-cache-open.js';
import { redactError } from './redact.js';
import { MARKER_FIELD } from './scripts.js';
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

/** Options for {@link RedisSessionStore.fromUrl}: everything but the client. */
export type RedisSessionStoreUrlOptions = Omit<RedisSessionStoreOptions, 'client'>;

const OWNS_CLIENT = Symbol('ownsClient');

/** The keys the default principal (`passport.user ?? userId`) reads. */
const DEFAULT_PRINCIPAL_KEYS = ['passport', 'userId'];
/** Patches that lost the race with another write to a field their principal was computed from are retried this often. */
const FILE_ATTEMPTS = 20;

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
  readonly #layout: Layout;
  readonly #link: Link;
  readonly #driver: RedisDriver;
  readonly #owned: boolean;
  readonly #scanCount: number;
  readonly #waitReplicas: Required<WaitReplicasOptions> | undefined;
  readonly #principalFn: PrincipalFunction;
  /** The keys the principal is read from; `undefined`: any key may be. */
  readonly #principalKeys: ReadonlySet<string> | undefined;
  /** Hash layout: the script keeps the sets (one slot, or not a Cluster); `false`: separate commands. */
  readonly #scriptedIndex: boolean;
  #stopExpiry: (() => void) | undefined;
  readonly #expiryReady: Promise<void>;
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
    this.#principalFn = options.principal ?? defaultPrincipal;
    const keys = options.principalKeys ?? (options.principal === undefined ? DEFAULT_PRINCIPAL_KEYS : undefined);
    if (keys !== undefined && (!Array.isArray(keys) || keys.some((key) => typeof key !== 'string' || key === ''))) {
      throw new StoreConfigError('principalKeys must be an array of top-level session keys (non-empty strings)');
    }
    this.#principalKeys = keys && new Set(keys);
    this.#scriptedIndex = !driver.cluster || this.#keys.tagged;
    if (options.events !== undefined && typeof options.events !== 'boolean')
      throw new StoreConfigError('events must be true or false');
    // Before the Link: a refused nearCache (Cluster) throws before any listener is attached to the client.
    this.#near = options.nearCache && openNearCache(driver, options.nearCache, (key) => this.#invalidated(key));
    this.#link = new Link(
      driver,
      (up) => this.linkChanged(up),
      (err) => this.emit('error', err),
      this.operationTimeoutMs,
    );
    if (options.events) {
      this.#expiryReady = this.#link.ready().then(async (ready) => {
        const stop = await listenForExpiry(
          ready,
          (key) => {
            const sid = this.#keys.sidOf(key);
            if (sid !== null) this.lifecycle('expired', sid);
          },
          (err) => this.emit('error', err),
        );
        if (this.#closed) stop();
        else this.#stopExpiry = stop;
      });
      this.#expiryReady.catch((err: unknown) => this.emit('error', redactError(err)));
    } else {
      this.#expiryReady = Promise.resolve();
    }
  }

  #closed = false;

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
    const hash = this.format === 'hash';
    const principal = this.principalOf(data) ?? '';
    const reply = (await this.#run(
      'set',
      sid,
      this.#layout.set(data, json, ttlMs, this.#indexArgs(sid, 'set', hash ? principal : '', [])),
    )) as unknown[];
    await this.#refile(sid, reply, principal, ttlMs);
    await this.#near?.fence();
    if (Number(reply[hash ? 2 : 1]) === 0) this.lifecycle('created', sid, principal || undefined);
  }

  protected async merge(sid: string, change: SessionChange, ttlMs: number): Promise<void> {
    if (this.format !== 'hash') {
      const reply = (await this.#run(
        'patch',
        sid,
        this.#layout.patch(change, ttlMs, this.maxSessionBytes, this.#indexArgs(sid, 'keep', '', [])),
      )) as unknown[];
      await this.#near?.fence();
      // a new session is the change itself
      if (Number(reply[0]) === 1 && Number(reply[1]) === 0)
        this.lifecycle('created', sid, this.principalOf(change.set));
      return;
    }
    for (let attempt = 1; ; attempt++) {
      const plan = await this.#plan(sid, change);
      const index = this.#indexArgs(sid, plan.mode, plan.principal, plan.guards);
      const reply = await this.#run('patch', sid, this.#layout.patch(change, ttlMs, this.maxSessionBytes, index));
      const status = Number((reply as unknown[])[0]);
      if (status === -1) {
        // A field the principal was computed from changed since it was read: read it again.
        if (attempt < FILE_ATTEMPTS) continue;
        throw new StoreOperationError(
          `the session was changed by ${FILE_ATTEMPTS} other writes while its principal was read`,
        );
      }
      await this.#near?.fence();
      if (status !== 1) return;
      await this.#refile(sid, reply, plan.mode === 'keep' ? undefined : plan.principal, ttlMs);
      if (Number((reply as unknown[])[2]) === 0)
        this.lifecycle('created', sid, (plan.mode === 'keep' ? '' : plan.principal) || undefined);
      return;
    }
  }

  protected async extend(sid: string, ttlMs: number): Promise<void> {
    const key = this.#keys.session(sid);
    if (this.format === 'hash') {
      // The script extends the principal's set too, so the set never expires before a member.
      const reply = await this.#run('touch', sid, {
        script: 'sessionkitHashTouch',
        argv: [Math.ceil(ttlMs), sid, this.#setPrefix],
      });
      await this.#refile(sid, reply, undefined, ttlMs);
      await this.#near?.fence();
      return;
    }
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
    if (this.format !== 'hash') {
      const [ended, text] = (await this.#run('destroy', sid, {
        script: 'sessionkitDestroy',
        argv: [Math.ceil(this.tombstoneTtlMs)],
      })) as [number, string];
      await this.#near?.fence();
      if (Number(ended) === 1 && this.listenerCount('destroyed') > 0)
        this.lifecycle('destroyed', sid, this.#principalOfText(String(text)));
      return;
    }
    const reply = (await this.#run('destroy', sid, {
      script: 'sessionkitHashDestroy',
      argv: [Math.ceil(this.tombstoneTtlMs), sid, this.#setPrefix, ''],
    })) as unknown[];
    await this.#refile(sid, reply, '', 0);
    await this.#near?.fence();
    if (Number(reply[0]) === 1) this.lifecycle('destroyed', sid, String(reply[1] ?? '') || undefined);
  }

  /** The principal of a stored JSON session, `undefined` when anonymous or undecodable. */
  #principalOfText(text: string): string | undefined {
    try {
      const data: unknown = JSON.parse(text);
      return typeof data === 'object' && data !== null && !Array.isArray(data)
        ? this.principalOf(data as SessionData)
        : undefined;
    } catch {
      return undefined;
    }
  }

  protected override principalIds(principal: string): AsyncIterable<string> | undefined {
    return this.format === 'hash' ? this.#members(principal) : undefined;
  }

  protected override removeByPrincipal(principal: string): Promise<number> | undefined {
    if (this.format !== 'hash') return undefined;
    return (async () => {
      const sids: string[] = [];
      for await (const sid of this.#members(principal)) sids.push(sid);
      const argv = [Math.ceil(this.tombstoneTtlMs), '', this.#setPrefix, principal];
      const replies = await Promise.all(
        sids.map((sid) =>
          this.#run('destroyByPrincipal', sid, {
            script: 'sessionkitHashDestroy',
            argv: [argv[0]!, sid, argv[2]!, principal],
          }),
        ),
      );
      const ended = sids.filter((_, i) => Number((replies[i] as unknown[])[0]) === 1);
      const set = this.#keys.setPrefix + principal;
      if (!this.#scriptedIndex && sids.length)
        await this.#command((driver) => driver.command(set, ['SREM', set, ...sids]));
      for (const sid of ended) this.lifecycle('destroyed', sid, principal);
      return ended.length;
    })();
  }

  /** The set key prefix the scripts get: `''` when the store keeps the sets with separate commands. */
  get #setPrefix(): string {
    return this.#scriptedIndex ? this.#keys.setPrefix : '';
  }

  #indexArgs(sid: string, mode: 'keep' | 'set', principal: string, guards: [string, string][]): IndexArgs {
    return { sid, setPrefix: this.#setPrefix, mode, principal, guards };
  }

  /**
   * How a patch files the session: `keep` when it touches no key the principal is read from;
   * else `set` with the principal of the change when the change alone decides it (a login sets
   * `passport`); else the principal keys it does not change are read first and sent as guards.
   */
  async #plan(
    sid: string,
    change: SessionChange,
  ): Promise<{ mode: 'keep' | 'set'; principal: string; guards: [string, string][] }> {
    const keys = this.#principalKeys;
    const touched = [...Object.keys(change.set), ...change.unset];
    if (keys && !touched.some((key) => keys.has(key))) return { mode: 'keep', principal: '', guards: [] };
    const decided = principalOfChange(change, this.#principalFn);
    if (decided !== UNDECIDED) return { mode: 'set', principal: decided ?? '', guards: [] };
    const known = new Map<string, unknown>();
    for (const key of change.unset) known.set(key, undefined);
    for (const [key, value] of Object.entries(change.set)) known.set(key, value);
    // Read what the change leaves as it is, and have the script check it is still so.
    const fields = keys ? [...keys].filter((key) => !known.has(key)) : undefined;
    const key = this.#keys.session(sid);
    const stored = await this.#command(async (driver) => {
      if (fields) {
        const values = fields.length
          ? ((await driver.command(key, ['HMGET', key, ...fields])) as (string | null)[])
          : [];
        return fields.map((field, i) => [field, values[i] ?? null] as const);
      }
      const all = await driver.hgetall(key);
      return Object.entries(all).filter(([field]) => field !== MARKER_FIELD && !known.has(field));
    });
    const data: SessionData = {};
    const guards: [string, string][] = [];
    for (const [field, text] of stored) {
      guards.push([field, text ?? '']);
      if (text !== null) {
        try {
          data[field] = JSON.parse(text);
        } catch {
          // undecodable: the principal function sees the key as absent
        }
      }
    }
    for (const [key, value] of known)
      if (value === undefined) delete data[key];
      else data[key] = value;
    return { mode: 'set', principal: this.principalOf(data) ?? '', guards };
  }

  /**
   * On a Cluster without a hash tag the scripts leave the sets alone and return the principal they
   * found (`reply[1]`); this files the sid under `next` (`undefined`: where it was, for a touch
   * or a patch that kept it; `''`: nowhere) with separate commands on the set's slot.
   */
  async #refile(sid: string, reply: unknown, next: string | undefined, ttlMs: number): Promise<void> {
    if (this.#scriptedIndex || this.format !== 'hash' || !Array.isArray(reply) || Number(reply[0]) !== 1) return;
    const previous = String(reply[1] ?? '');
    const now = next ?? previous;
    const ttl = Math.ceil(ttlMs);
    await this.#command(async (driver) => {
      const work: Promise<unknown>[] = [];
      const old = this.#keys.setPrefix + previous;
      if (previous && previous !== now) work.push(driver.command(old, ['SREM', old, sid]));
      if (now) {
        // one script on the set's slot: SADD, then the TTL raised to cover this member, never lowered
        const set = this.#keys.setPrefix + now;
        work.push(driver.script('sessionkitFile', set, set, [ttl, sid]));
      }
      await Promise.all(work);
    });
  }

  /** The live sids of `principal`; dead members are removed from its set on the way. */
  async *#members(principal: string): AsyncIterable<string> {
    const set = this.#keys.setPrefix + principal;
    const sessionPrefix = this.#keys.session('');
    if (this.#scriptedIndex) {
      // the set twice: the scripts take two keys, and these two share the slot trivially
      const live = await this.#command((driver) =>
        driver.script('sessionkitMembers', set, set, [sessionPrefix, principal]),
      );
      yield* (live as unknown[]).map(String);
      return;
    }
    const sids = ((await this.#command((driver) => driver.command(set, ['SMEMBERS', set]))) as unknown[]).map(String);
    const markers = await this.#command((driver) =>
      Promise.all(
        sids.map((sid) => driver.command(this.#keys.session(sid), ['HGET', this.#keys.session(sid), MARKER_FIELD])),
      ),
    );
    const dead = sids.filter((_, i) => markers[i] !== `=${principal}`);
    if (dead.length) await this.#command((driver) => driver.command(set, ['SREM', set, ...dead]));
    yield* sids.filter((_, i) => markers[i] === `=${principal}`);
  }

  /** Runs commands on the client once it is ready, with errors redacted. */
  async #command<T>(work: (driver: RedisDriver) => Promise<T>): Promise<T> {
    const driver = await this.#link.ready();
    try {
      return await work(driver);
    } catch (err) {
      throw redactError(err);
    }
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
        // sessions and the principal index sets; tombstones stay, so late patches are still refused
        const keys = batch.keys.filter((key) => this.#keys.sidOf(key) !== null || key.startsWith(this.#keys.setPrefix));
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
    this.#closed = true;
    this.#stopExpiry?.();
    await this.#near?.close();
    this.#link.detach();
    if (this.#owned) await this.#driver.close(this.operationTimeoutMs);
  }

  /** Runs one script for `sid` (its reply), followed by WAIT in the same round trip when waitReplicas is on. */
  async #run(operation: string, sid: string, { script, argv }: ScriptCall): Promise<unknown> {
    const key = this.#keys.session(sid);
    // This store reads its own writes: the entry goes before the write and again once answered.
    this.#near?.drop(key);
    const driver = await this.#link.ready();
    const tombstone = this.#keys.tombstone(sid);
    try {
      if (!this.#waitReplicas) return await driver.script(script, key, tombstone, argv);
      const { count, timeoutMs } = this.#waitReplicas;
      const { reply, acknowledged } = await driver.scriptThenWait(script, key, tombstone, argv, count, timeoutMs);
      if (!(acknowledged >= count)) throw new ReplicationError(acknowledged, count, operation);
      return reply;
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
