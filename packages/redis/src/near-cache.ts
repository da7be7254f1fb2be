import { performance } from 'node:perf_hooks';
import { decodeValue, rememberStoredForm, storedKeyTexts, type KeyTexts, type SessionData } from '@sessionkit/core';
import { LRUCache } from 'lru-cache';
import {
  checkOptions,
  DEFAULT_NEAR_CACHE_MAX_AGE_MS,
  type NearCacheOptions,
  type NearCacheState,
  type NearCacheStats,
} from './near-cache-options.js';
import type { InvalidationLink, InvalidationListener } from './tracking-link.js';

export {
  DEFAULT_NEAR_CACHE_MAX_AGE_MS,
  type NearCacheOptions,
  type NearCacheState,
  type NearCacheStats,
} from './near-cache-options.js';

/** A cached session: the stored text of each top-level key, and until when it may be served (performance.now() ms). */
interface Entry {
  texts: KeyTexts;
  until: number;
}

/** Reads of one key from Redis in flight, and the sequence number of the last invalidation of that key during them. */
interface Pending {
  count: number;
  invalidatedAt: number;
}

/** One read from Redis that may fill the cache: filled only if nothing invalidated it meanwhile. */
interface Fill {
  key: string;
  epoch: number;
  seq: number;
  /** performance.now() before the read was sent: Redis answered PTTL later, so expiry counted from here is never late. */
  sentAt: number;
}

/**
 * An in-process LRU of sessions read from Redis, kept correct by Redis server-assisted
 * client-side caching (`CLIENT TRACKING`, https://redis.io/docs/latest/develop/reference/client-side-caching/):
 * Redis remembers the keys this store's data connection read and pushes the name of each one that
 * changes (written by any client, expired, evicted, flushed) to the invalidation connection, and
 * the entry is dropped.
 *
 * What keeps it correct:
 * - an entry is served only while tracking is established; when either connection drops or
 *   reconnects, the whole cache is flushed and nothing is cached until tracking is back;
 * - a read fills the cache only if no invalidation of that key arrived while it was in flight and
 *   tracking stayed up meanwhile (the invalidation and the reply travel on two connections, so
 *   they may arrive in either order);
 * - an entry is served at most `maxAgeMs` after its read, and never past the key's own expiry
 *   (its PTTL, read in the same round trip);
 * - a write through this store drops the entry before it is sent and again when it is answered,
 *   so this store reads its own writes; and it resolves only after a fence (one PING), by which
 *   Redis has sent the write's invalidations to every other instance, so a request that follows
 *   the write's response finds them processed on whichever instance it reaches;
 * - each read gets a fresh object decoded from the stored text, so a caller that changes what it
 *   got cannot change the cache; the stored-form side channel is set on it as on any read.
 *
 * What it cannot do: a read on another instance that runs concurrently with a write, within the
 * invalidation delay (measured in the README), may still see the session as it was, as a read
 * sent to Redis a moment earlier would.
 */
export class NearCache implements InvalidationListener {
  readonly maxEntries: number;
  readonly maxAgeMs: number;
  readonly #lru: LRUCache<string, Entry>;
  readonly #pending = new Map<string, Pending>();
  readonly #logger: { warn(message: string): void };
  readonly #onInvalidate: ((key: string) => void) | undefined;
  #state: NearCacheState = 'connecting';
  #epoch = 0;
  #seq = 0;
  #hits = 0;
  #misses = 0;
  #flushes = 0;
  #link: InvalidationLink | undefined;

  constructor(options: NearCacheOptions, onInvalidate?: (key: string) => void) {
    const { maxEntries, maxAgeMs = DEFAULT_NEAR_CACHE_MAX_AGE_MS, logger = console } = checkOptions(options);
    this.maxEntries = maxEntries;
    this.maxAgeMs = maxAgeMs;
    this.#logger = logger;
    this.#onInvalidate = onInvalidate;
    this.#lru = new LRUCache<string, Entry>({ max: maxEntries });
  }

  /** Starts following `link`: caching begins once it reports tracking. */
  start(link: InvalidationLink): void {
    this.#link = link;
    link.start(this);
  }

  get state(): NearCacheState {
    return this.#state;
  }

  stats(): NearCacheStats {
    return {
      state: this.#state,
      entries: this.#lru.size,
      hits: this.#hits,
      misses: this.#misses,
      flushes: this.#flushes,
    };
  }

  /**
   * The session cached under `key` as a fresh object (with its stored form remembered), or
   * `undefined` when not cached, too old, past its expiry, or while tracking is not established:
   * `undefined` at once when there is no entry, else a promise.
   *
   * A cached entry is served only once the current poll phase of the event loop is over
   * (setImmediate): an invalidation that reached this process's socket before the request
   * that asks for the entry is processed in that phase, whichever order the operating system
   * reported the two sockets in. With the writers' fence (see {@link fence}) this makes a request
   * that follows a write's response see that write.
   */
  get(key: string, sid: string): Promise<SessionData | undefined> | undefined {
    if (this.#state !== 'tracking') return undefined;
    const entry = this.#lru.get(key);
    if (entry === undefined) return undefined;
    return new Promise((resolve) => setImmediate(() => resolve(this.#serve(key, sid, entry))));
  }

  #serve(key: string, sid: string, entry: Entry): SessionData | undefined {
    // Still the same entry (no invalidation, flush or refill meanwhile), tracking still up.
    if (this.#state !== 'tracking' || this.#lru.peek(key) !== entry) return undefined;
    if (performance.now() >= entry.until) {
      this.#lru.delete(key);
      return undefined;
    }
    this.#hits++;
    const data: SessionData = {};
    for (const [field, text] of entry.texts) data[field] = decodeValue(sid, text);
    // A copy of the texts: what the caller's tracker keeps can never reach the entry.
    return rememberStoredForm(data, new Map(entry.texts));
  }

  /**
   * Reads `key` from Redis through `read` (with `pttl`, its remaining time to live in ms, sent in
   * the same round trip) and caches the result when that is safe: tracking was established before
   * the read was sent and still is, and no invalidation of `key` arrived meanwhile.
   */
  async fill(
    key: string,
    read: () => Promise<SessionData | null>,
    pttl: () => Promise<number>,
  ): Promise<SessionData | null> {
    if (this.#state !== 'tracking') return read();
    const fill = this.#begin(key);
    let data: SessionData | null;
    let ttlMs: number;
    try {
      // Both are sent in the same turn of the event loop, so they share one round trip.
      const reading = read();
      const expiring = pttl().catch(() => -2);
      data = await reading;
      ttlMs = await expiring;
    } catch (err) {
      this.#end(fill);
      throw err;
    }
    if (this.#end(fill) && data !== null && ttlMs !== -2) {
      const texts = storedKeyTexts(data);
      if (texts !== undefined) {
        // -1: the key has no expiry of its own; then only maxAgeMs bounds the entry.
        const lifeMs = ttlMs >= 0 ? Math.min(ttlMs, this.maxAgeMs) : this.maxAgeMs;
        this.#lru.set(key, { texts: new Map(texts()), until: fill.sentAt + lifeMs });
      }
    }
    return data;
  }

  /** Drops the entry of a key this store writes, and keeps reads in flight from filling it. */
  drop(key: string): void {
    this.invalidate([key]);
  }

  /**
   * Resolves once the invalidations of every write this store had answered before the call have
   * been sent by Redis to every tracking client (see {@link InvalidationLink.fence}). A write
   * through a near-cached store awaits it, so that a request which follows the write's response
   * finds, on any instance, the invalidation processed before itself. Never rejects.
   */
  fence(): Promise<void> {
    if (this.#state === 'refused' || this.#state === 'closed' || !this.#link) return Promise.resolve();
    return this.#link.fence();
  }

  /** Drops every entry (after `clear()`), and keeps every read in flight from filling. */
  flushAll(): void {
    this.#epoch++;
    this.#lru.clear();
  }

  // InvalidationListener: called by the link.

  tracking(): void {
    if (this.#state === 'refused' || this.#state === 'closed') return;
    this.#epoch++;
    this.#lru.clear();
    this.#state = 'tracking';
  }

  lost(): void {
    if (this.#state === 'refused' || this.#state === 'closed') return;
    if (this.#state === 'tracking') this.#flushes++;
    this.#state = 'connecting';
    this.flushAll();
  }

  invalidate(keys: readonly string[] | null): void {
    if (keys === null) {
      this.flushAll();
      return;
    }
    for (const key of keys) {
      this.#lru.delete(key);
      const pending = this.#pending.get(key);
      if (pending) pending.invalidatedAt = ++this.#seq;
      this.#onInvalidate?.(key);
    }
  }

  refused(reason: string): void {
    if (this.#state === 'refused' || this.#state === 'closed') return;
    this.#state = 'refused';
    this.flushAll();
    this.#logger.warn(
      `[sessionkit] near cache off: Redis refused client-side caching (${reason}); every read goes to Redis`,
    );
  }

  /** Stops caching and closes the link; the store's own client is left open. */
  async close(): Promise<void> {
    this.#state = 'closed';
    this.flushAll();
    await this.#link?.close();
  }

  #begin(key: string): Fill {
    this.#misses++;
    const pending = this.#pending.get(key);
    if (pending) pending.count++;
    else this.#pending.set(key, { count: 1, invalidatedAt: 0 });
    return { key, epoch: this.#epoch, seq: this.#seq, sentAt: performance.now() };
  }

  /** Ends a fill; true when its result may be cached. */
  #end(fill: Fill): boolean {
    const pending = this.#pending.get(fill.key);
    if (!pending) return false;
    if (--pending.count === 0) this.#pending.delete(fill.key);
    return this.#state === 'tracking' && this.#epoch === fill.epoch && pending.invalidatedAt <= fill.seq;
  }
}
