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

export interface MemorySessionStoreOptions extends BaseStoreOptions {
  /** Most sessions held; the least recently used is evicted beyond it. Default 10000. */
  max?: number;
  /** Most bytes held (UTF-8 JSON of all sessions plus their sids); LRU eviction beyond it. Default 64 MiB. */
  maxSizeBytes?: number;
}

interface Entry {
  json: string;
}

/** Fixed per-entry cost counted on top of the JSON and sid bytes (lru-cache node, entry object). */
const ENTRY_OVERHEAD_BYTES = 64;

/**
 * A bounded in-process session store on lru-cache. Sessions are kept as JSON text, so a caller can
 * never mutate stored data by reference, and each entry's size is its byte length.
 *
 * SINGLE PROCESS ONLY: every instance of your app has its own sessions. Behind a load balancer
 * with more than one instance, use Redis, SQL or the replicated cluster store.
 *
 * No timers: expired sessions are dropped when read, listed or counted, so the store never keeps
 * the process alive.
 */
export class MemorySessionStore extends AbstractSessionStore {
  readonly name = 'memory';
  readonly #cache: LRUCache<string, Entry>;
  readonly #tombstones: LRUCache<string, true>;

  constructor(options: MemorySessionStoreOptions = {}) {
    super(options);
    const max = options.max ?? 10_000;
    const maxSize = options.maxSizeBytes ?? 64 * 1024 * 1024;
    if (!Number.isInteger(max) || max < 1) throw new StoreConfigError(`max must be a positive integer, got ${max}`);
    if (!Number.isInteger(maxSize) || maxSize < 1) throw new StoreConfigError(`maxSizeBytes must be a positive integer, got ${maxSize}`);
    this.#cache = new LRUCache<string, Entry>({
      max,
      maxSize,
      sizeCalculation: (entry, sid) => byteLength(entry.json) + sid.length + ENTRY_OVERHEAD_BYTES,
      ttlAutopurge: false,
      updateAgeOnGet: false,
    });
    this.#tombstones = new LRUCache<string, true>({ max, ttl: this.tombstoneTtlMs, ttlAutopurge: false });
    this.emit('connect');
  }

  /** Sessions held now, expired ones included until they are read or counted. */
  get size(): number {
    return this.#cache.size;
  }

  /** Bytes held now, as counted against `maxSizeBytes`. */
  get sizeBytes(): number {
    return this.#cache.calculatedSize;
  }

  /** Milliseconds until `sid` expires (negative once expired but not yet dropped), or `null` when it is not held. */
  remainingTtlMs(sid: string): number | null {
    if (this.#cache.peek(sid, { allowStale: true }) === undefined) return null;
    return this.#cache.getRemainingTTL(sid);
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

  protected async write(sid: string, _data: SessionData, json: string, ttlMs: number): Promise<void> {
    this.#tombstones.delete(sid);
    this.#store(sid, json, ttlMs);
  }

  protected async merge(sid: string, change: SessionChange, ttlMs: number): Promise<void> {
    if (this.#tombstones.has(sid)) return;
    const current = this.#cache.get(sid);
    const next = applyChange(current ? decodeSession(sid, current.json) : null, change);
    this.#store(sid, encodeSession(next, this.maxSessionBytes), ttlMs);
  }

  protected async extend(sid: string, ttlMs: number): Promise<void> {
    const entry = this.#cache.get(sid);
    if (entry) this.#store(sid, entry.json, ttlMs);
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

  #store(sid: string, json: string, ttlMs: number): void {
    this.#cache.set(sid, { json }, { ttl: Math.max(1, Math.ceil(ttlMs)) });
  }
}
