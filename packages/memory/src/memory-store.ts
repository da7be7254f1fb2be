import {
  AbstractSessionStore,
  byteLength,
  decodeSession,
  formKeyTexts,
  keyTextsOf,
  positiveInteger,
  SessionEncodeError,
  SessionTooLargeError,
  StoreConfigError,
  toStoreError,
  type KeyTexts,
  type BaseStoreOptions,
  type SessionChange,
  type SessionData,
  type SessionEntry,
} from '@sessionkit/core';
import { LRUCache } from 'lru-cache';
import { AnonymousFirstLru, type Departure, type Entry } from './eviction.js';

export interface MemorySessionStoreOptions extends BaseStoreOptions {
  /** Most sessions held; beyond it the least recently used anonymous session is evicted first. Default 10000. */
  max?: number;
  /**
   * Most bytes held (UTF-8 JSON of all sessions plus their sids); beyond it anonymous sessions are
   * evicted first, logged-in ones (see `principal`) only when no anonymous one is left. Default 64 MiB.
   */
  maxSizeBytes?: number;
  /**
   * Milliseconds between sweeps that drop expired sessions and emit `expired` for them; `0` or
   * `false` turns the sweep off (expired sessions are then found on reads, listings and counts).
   * The timer is unref'd, so it never keeps the process alive. Default 60000.
   */
  sweepIntervalMs?: number | false;
}

/** Default `sweepIntervalMs`: one minute. */
export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

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
 * Expired sessions are dropped when read, listed or counted, and by a sweep every
 * `sweepIntervalMs` on an unref'd timer, so the store never keeps the process alive.
 *
 * Principal index: a map principal → sids kept in step with every write, destroy, eviction,
 * expiry and `clear()`, so `idsByPrincipal` / `destroyByPrincipal` cost O(sessions of that user).
 *
 * Lifecycle events, each at most once and in this process only (lost if it exits first):
 * `created` after a `set` / `patch` that made a new session; `destroyed` after `destroy`,
 * `destroyByPrincipal`, `ttlMs <= 0`, or an eviction under `max` / `maxSizeBytes`; `expired` when
 * a read, listing, count or sweep finds a session past its TTL (so within `sweepIntervalMs` of
 * the expiry at the latest, while the sweep is on). `clear()` emits no per-session events.
 *
 * @example
 * const store = new MemorySessionStore({ max: 10_000, maxSizeBytes: 64 * 1024 * 1024 });
 * await store.set('sid-1', { userId: 'u1' }, { ttlMs: 86_400_000 });
 */
export class MemorySessionStore extends AbstractSessionStore {
  readonly name = 'memory';
  readonly #cache: AnonymousFirstLru;
  readonly #tombstones: LRUCache<string, true>;
  readonly #sweep: NodeJS.Timeout | undefined;

  constructor(options: MemorySessionStoreOptions = {}) {
    super(options);
    const max = positiveInteger(options.max ?? 10_000, 'max');
    const maxSize = positiveInteger(options.maxSizeBytes ?? 64 * 1024 * 1024, 'maxSizeBytes');
    const sweep = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    if (sweep !== false && (!Number.isFinite(sweep) || sweep < 0)) {
      throw new StoreConfigError(`sweepIntervalMs must be a number of ms >= 0 or false, got ${String(sweep)}`);
    }
    this.#cache = new AnonymousFirstLru(max, maxSize, (sid, entry, why) => this.#departed(sid, entry, why));
    this.#tombstones = new LRUCache<string, true>({ max, ttl: this.tombstoneTtlMs, ttlAutopurge: false });
    if (sweep) {
      this.#sweep = setInterval(() => this.prune(), sweep);
      this.#sweep.unref();
    }
    this.linkChanged(true);
  }

  /** Sessions held now, expired ones included until they are read or counted. */
  get size(): number {
    return this.#cache.size;
  }

  /** Bytes held now, as counted against `maxSizeBytes`. */
  get sizeBytes(): number {
    return this.#cache.bytes;
  }

  /** Sessions filed in the principal index now (logged-in sessions held, expired ones until found). */
  get indexedSessions(): number {
    return this.#cache.indexedSessions;
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

  protected override async readEntry(sid: string): Promise<SessionEntry | null> {
    const entry = this.#cache.get(sid);
    return entry ? { sid, data: decodeSession(sid, entry.json), expiresAt: entry.expiresAt } : null;
  }

  protected async write(sid: string, data: SessionData, json: string, ttlMs: number): Promise<void> {
    this.#tombstones.delete(sid);
    const existed = this.#cache.get(sid) !== undefined;
    const principal = this.principalOf(data);
    this.#store(sid, json, principal, ttlMs);
    if (!existed) this.lifecycle('created', sid, principal);
  }

  protected async merge(sid: string, change: SessionChange, ttlMs: number): Promise<void> {
    if (this.#tombstones.has(sid)) return;
    const current = this.#cache.get(sid);
    // Spliced as text: the stored session cut into its keys (the cut the save's diff made, see
    // formKeyTexts), the changed keys' texts (which normalizeChange already checked and encoded)
    // put in their place or after. Nothing is decoded or encoded again.
    const changed = keyTextsOf(change.set);
    const base = current ? formKeyTexts(current.json) : undefined;
    const parts: string[] = [];
    if (base) {
      for (const [key, text] of base) {
        if (Object.hasOwn(change.set, key)) parts.push(member(key, valueText(change, changed, key)));
        else if (!change.unset.includes(key)) parts.push(member(key, text));
      }
    }
    for (const key of Object.keys(change.set))
      if (!base?.has(key)) parts.push(member(key, valueText(change, changed, key)));
    if (parts.length > this.maxSessionKeys) {
      throw new SessionEncodeError(
        `more than ${this.maxSessionKeys} top-level keys (maxSessionKeys); keep collections under one key, e.g. session.cart = [...]`,
      );
    }
    const json = `{${parts.join(',')}}`;
    if (json.length * 3 > this.maxSessionBytes) {
      const bytes = byteLength(json);
      if (bytes > this.maxSessionBytes) throw new SessionTooLargeError(bytes, this.maxSessionBytes);
    }
    // The principal is found again only when the change may have moved it.
    const principal =
      current && this.principalUnchangedBy(change) ? current.principal : this.principalOf(decodeSession(sid, json));
    this.#store(sid, json, principal, ttlMs);
    if (!current) this.lifecycle('created', sid, principal);
  }

  protected async extend(sid: string, ttlMs: number): Promise<void> {
    const entry = this.#cache.get(sid);
    if (entry) this.#store(sid, entry.json, entry.principal, ttlMs);
  }

  protected async remove(sid: string): Promise<void> {
    this.#tombstones.set(sid, true);
    const entry = this.#cache.get(sid);
    if (!entry) return;
    this.#cache.delete(sid);
    this.lifecycle('destroyed', sid, entry.principal);
  }

  protected override principalIds(principal: string): AsyncIterable<string> | undefined {
    return this.#liveSidsOf(principal);
  }

  protected override removeByPrincipal(principal: string): Promise<number> | undefined {
    return Promise.resolve(this.#removeAllOf(principal));
  }

  #removeAllOf(principal: string): number {
    let destroyed = 0;
    for (const sid of this.#cache.sidsOf(principal)) {
      const entry = this.#cache.get(sid);
      this.#tombstones.set(sid, true);
      if (!entry) continue;
      this.#cache.delete(sid);
      destroyed++;
      this.lifecycle('destroyed', sid, principal);
    }
    return destroyed;
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

  /**
   * Every backend call of this store finishes in the turn it starts (nothing in it awaits I/O),
   * so there is no deadline to keep (`operationTimeoutMs`): only the error mapping of the base
   * class is applied, without a timer per call.
   */
  protected override run<T>(operation: string, work: Promise<T>): Promise<T> {
    return work.catch((err: unknown) =>
      Promise.reject(toStoreError(err, `${this.name} ${operation}`, this.classifyError(err))),
    );
  }

  protected override async release(): Promise<void> {
    clearInterval(this.#sweep);
  }

  async *#liveSidsOf(principal: string): AsyncGenerator<string> {
    // A copy, checked one by one: an expired member is dropped (and reported) as it is found.
    for (const sid of this.#cache.sidsOf(principal)) {
      if (this.#cache.get(sid)?.principal === principal) yield sid;
    }
  }

  #departed(sid: string, entry: Entry, why: Departure): void {
    this.lifecycle(why === 'expired' ? 'expired' : 'destroyed', sid, entry.principal);
  }

  #store(sid: string, json: string, principal: string | undefined, ttlMs: number): void {
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const entry: Entry = {
      json,
      principal,
      bytes: byteLength(json) + byteLength(sid) + ENTRY_OVERHEAD_BYTES,
      expiresAt: Date.now() + ttl,
    };
    this.#cache.set(sid, entry, ttl);
  }
}

/** The JSON text of `key`'s new value: the one normalizeChange remembered, else encoded. */
function valueText(change: SessionChange, changed: KeyTexts | undefined, key: string): string {
  return changed?.get(key) ?? JSON.stringify(change.set[key]);
}

/** One member of a JSON object text: the key as JSON, a colon, the value's JSON text. */
function member(key: string, text: string): string {
  return `${JSON.stringify(key)}:${text}`;
}
