import { PrincipalIndex } from '@sessionkit/core';
import { LRUCache } from 'lru-cache';

/** What the memory store keeps per session: the JSON text, whose session it is, and when it expires. */
export interface Entry {
  readonly json: string;
  readonly principal: string | undefined;
  /** Bytes counted against the bound: JSON, sid and a fixed overhead. */
  readonly bytes: number;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/**
 * Why an entry left without the store asking: its TTL had passed when it was found (`expired`), or
 * the entry or byte bound pushed it out (`evicted`).
 */
export type Departure = 'expired' | 'evicted';

/**
 * Two LRU lists under one entry and byte bound: anonymous sessions and sessions with a principal.
 * Beyond the bound the least recently used anonymous session goes first, and a logged-in session
 * only when no anonymous one is left, so a flood of anonymous sessions (each request without a
 * cookie can make one) cannot push logged-in users out.
 *
 * It also keeps the principal index in step with every way an entry leaves (replaced, deleted,
 * evicted, expired, cleared): lru-cache's `dispose` runs inside each of them. `onDeparture` is
 * called after the cache operation finished (lru-cache's `disposeAfter`), so it may call back in.
 */
export class AnonymousFirstLru {
  readonly #anonymous: LRUCache<string, Entry>;
  readonly #known: LRUCache<string, Entry>;
  readonly #index = new PrincipalIndex();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxEntries: number, maxBytes: number, onDeparture: (sid: string, entry: Entry, why: Departure) => void) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
    const options: LRUCache.Options<string, Entry, unknown> = {
      max: maxEntries,
      ttlAutopurge: false,
      updateAgeOnGet: false,
      // Every way an entry leaves (replaced, deleted, evicted, expired) gives its bytes back and,
      // unless it is being replaced (set() files the new entry right after), unfiles it.
      dispose: (entry, sid, reason) => {
        this.#bytes -= entry.bytes;
        if (reason !== 'set' && this.#index.principalOf(sid) === entry.principal) this.#index.remove(sid);
      },
      disposeAfter: (entry, sid, reason) => {
        if (reason === 'expire') onDeparture(sid, entry, 'expired');
        else if (reason === 'evict') onDeparture(sid, entry, 'evicted');
      },
    };
    this.#anonymous = new LRUCache(options);
    this.#known = new LRUCache(options);
  }

  get size(): number {
    return this.#anonymous.size + this.#known.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The live entry of `sid`; an expired one is dropped (and reported as `expired`). */
  get(sid: string): Entry | undefined {
    return this.#known.get(sid) ?? this.#anonymous.get(sid);
  }

  /** Remaining ms of a held entry (negative once stale), or `null` when not held. */
  remainingTtlMs(sid: string): number | null {
    for (const list of [this.#known, this.#anonymous]) {
      if (list.peek(sid, { allowStale: true }) !== undefined) return list.getRemainingTTL(sid);
    }
    return null;
  }

  set(sid: string, entry: Entry, ttlMs: number): void {
    const anonymous = entry.principal === undefined;
    const list = anonymous ? this.#anonymous : this.#known;
    (anonymous ? this.#known : this.#anonymous).delete(sid);
    list.set(sid, entry, { ttl: ttlMs });
    this.#bytes += entry.bytes;
    this.#index.assign(sid, entry.principal);
    while (this.size > this.#maxEntries || this.#bytes > this.#maxBytes) {
      if (this.#anonymous.pop() === undefined && this.#known.pop() === undefined) break;
    }
  }

  delete(sid: string): void {
    this.#anonymous.delete(sid);
    this.#known.delete(sid);
  }

  /** Live sids; expired ones are skipped. */
  *keys(): Generator<string> {
    yield* this.#known.keys();
    yield* this.#anonymous.keys();
  }

  /** The sids filed under `principal`, expired ones included until they are found (a copy). */
  sidsOf(principal: string): string[] {
    return this.#index.sids(principal);
  }

  /** Number of sessions filed under a principal (the index size). */
  get indexedSessions(): number {
    return this.#index.size;
  }

  purgeStale(): void {
    this.#known.purgeStale();
    this.#anonymous.purgeStale();
  }

  clear(): void {
    this.#known.clear();
    this.#anonymous.clear();
    this.#index.clear();
  }
}
