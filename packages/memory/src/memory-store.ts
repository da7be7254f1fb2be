import {
  AbstractSessionStore,
  applyChange,
  byteLength,
  decodeSession,
  encodeSession,
  StoreConfigError,
  type BaseStoreOptions,
  type SessionChange,
  type SessionData,
} from '@sessionkit/core';
import { LRUCache } from 'lru-cache';
import { AnonymousFirstLru, type Entry } from './eviction.js';

export interface MemorySessionStoreOptions extends BaseStoreOptions {
  /** Most sessions held; beyond it the least recently used anonymous session is evicted first. Default 10000. */
  max?: number;
  /**
   * Most bytes held (UTF-8 JSON of all sessions plus their sids); beyond it anonymous sessions are
   * evicted first, logged-in ones (see `principal`) only when no anonymous one is left. Default 64 MiB.
   */
  maxSizeBytes?: number;
}

/** Fixed per-entry cost counted on top of the JSON and sid bytes (lru-cache node, entry object). */
const ENTRY_OVERHEAD_BYTES = 64;

/**
 * A bounded in-process session store on lru-cache. Sessions are kept as JSON text, so a caller can
 * never mutate stored data by reference, and each entry's size is its byte length. Eviction takes
 * anonymous sessions before logged-in ones, so a flood of cookieless requests cannot log users out.
 *
 * SINGLE PROCESS ONLY: every instance of your app has its own sessions. Behind a load balancer
 * with more than one instance, use Redis, SQL or the replicated cluster store.
 *
 * No timers: expired sessions are dropped when read, listed or counted, so the store never keeps
 * the process alive.
 *
 * @example
 * const store = new MemorySessionStore({ max: 10_000, maxSizeBytes: 64 * 1024 * 1024 });
 * await store.set('sid-1', { userId: 'u1' }, { ttlMs: 86_400_000 });
 */
export class MemorySessionStore extends AbstractSessionStore {
  readonly name = 'memory';
  readonly #cache: AnonymousFirstLru;
  readonly #tombstones: LRUCache<string, true>;

  constructor(options: MemorySessionStoreOptions = {}) {
    super(options);
    const max = options.max ?? 10_000;
    const maxSize = options.maxSizeBytes ?? 64 * 1024 * 1024;
    if (!Number.isInteger(max) || max < 1) throw new StoreConfigError(`max must be a positive integer, got ${max}`);
    if (!Number.isInteger(maxSize) || maxSize < 1) throw new StoreConfigError(`maxSizeBytes must be a positive integer, got ${maxSize}`);
    this.#cache = new AnonymousFirstLru(max, maxSize);
    this.#tombstones = new LRUCache<string, true>({ max, ttl: this.tombstoneTtlMs, ttlAutopurge: false });
    this.emit('connect');
  }

  /** Sessions held now, expired ones included until they are read or counted. */
  get size(): number {
    return this.#cache.size;
  }

  /** Bytes held now, as counted against `maxSizeBytes`. */
  get sizeBytes(): number {
    return this.#cache.bytes;
  }

  /** Milliseconds until `sid` expires (negative once expired but not yet dropped), or `null` when it is not held. */
  remainingTtlMs(sid: string): number | null {
    return this.#cache.remainingTtlMs(sid);
  }

  /** Drops expired sessions now and returns how many were dropped. Never required: reads skip them anyway. */
  prune(): number {
    const before = this.#cache.size;
    this.#cache.purgeStale();
    return before - this.#cache.size;
  }

  protected async read(sid: string): Promise<SessionData | null> {
    const entry = this.#cache.get(sid);
    return entry ? decodeSession(sid, entry.json) : null;
  }

  protected async write(sid: string, data: SessionData, json: string, ttlMs: number): Promise<void> {
    this.#tombstones.delete(sid);
    this.#store(sid, json, this.principalOf(data), ttlMs);
  }

  protected async merge(sid: string, change: SessionChange, ttlMs: number): Promise<void> {
    if (this.#tombstones.has(sid)) return;
    const current = this.#cache.get(sid);
    const next = applyChange(current ? decodeSession(sid, current.json) : null, change);
    this.#store(sid, encodeSession(next, this), this.principalOf(next), ttlMs);
  }

  protected async extend(sid: string, ttlMs: number): Promise<void> {
    const entry = this.#cache.get(sid);
    if (entry) this.#store(sid, entry.json, entry.principal, ttlMs);
  }

  protected async remove(sid: string): Promise<void> {
    this.#cache.delete(sid);
    this.#tombstones.set(sid, true);
  }

  protected async *scanIds(): AsyncIterable<string> {
    // keys() skips expired entries; copy first so a caller's writes cannot disturb the walk.
    yield* [...this.#cache.keys()];
  }

  protected async count(): Promise<number> {
    this.prune();
    return this.#cache.size;
  }

  protected async removeAll(): Promise<void> {
    this.#cache.clear();
    this.#tombstones.clear();
  }

  #store(sid: string, json: string, principal: string | undefined, ttlMs: number): void {
    const entry: Entry = { json, principal, bytes: byteLength(json) + byteLength(sid) + ENTRY_OVERHEAD_BYTES };
    this.#cache.set(sid, entry, Math.max(1, Math.ceil(ttlMs)));
  }
}
