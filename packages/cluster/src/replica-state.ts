import { LRUCache } from 'lru-cache';
import { isRetained, mergeRecords, recordFingerprint, type SessionRecord } from './record.js';

/** Number of digest buckets anti-entropy compares; a differing bucket is repaired whole. */
export const BUCKETS = 256;

/**
 * The sessions one node holds: an LRU of records (bounded by `max`) plus one digest per bucket,
 * kept up to date on every change: the XOR of a 16-byte hash of each record's sid and versions, so
 * the order of changes does not matter. Hashes are recomputed rather than stored, to keep memory
 * per session low.
 * Expired sessions and old tombstones are dropped when read and by {@link ReplicaState.sweep}.
 */
export class ReplicaState {
  readonly #cache: LRUCache<string, SessionRecord>;
  /** Four 32-bit words per bucket. */
  readonly #digests = new Uint32Array(BUCKETS * 4);

  constructor(
    max: number,
    private readonly tombstoneTtlMs: number,
  ) {
    this.#cache = new LRUCache<string, SessionRecord>({
      max,
      // Every way a record leaves (replaced, evicted, deleted, cleared) takes its hash out of the digest.
      dispose: (record, sid) => this.#toggle(sid, record),
    });
  }

  /** Records held now, expired ones included until they are read or swept. */
  get size(): number {
    return this.#cache.size;
  }

  /** The record for `sid` when it is still retained at `now` (live session or young tombstone). */
  get(sid: string, now = Date.now()): SessionRecord | undefined {
    const record = this.#cache.get(sid);
    if (!record) return undefined;
    if (isRetained(record, now, this.tombstoneTtlMs)) return record;
    this.#cache.delete(sid);
    return undefined;
  }

  /** Merges `incoming` into what is held for `sid`; returns false when nothing changed. */
  apply(sid: string, incoming: SessionRecord, now = Date.now()): boolean {
    const current = this.get(sid, now);
    const next = current ? mergeRecords(current, incoming) : incoming;
    if (next === current) return false;
    if (!isRetained(next, now, this.tombstoneTtlMs)) {
      if (current) this.#cache.delete(sid);
      return Boolean(current);
    }
    this.#cache.set(sid, next);
    this.#toggle(sid, next);
    return true;
  }

  /** Sids held now, most recently used first (a copy, so callers may change the state while walking). */
  sids(): string[] {
    return [...this.#cache.keys()];
  }

  /** Drops expired sessions and old tombstones; returns how many were dropped. */
  sweep(now = Date.now()): number {
    let dropped = 0;
    for (const [sid, record] of [...this.#cache.entries()]) {
      if (!isRetained(record, now, this.tombstoneTtlMs)) {
        this.#cache.delete(sid);
        dropped++;
      }
    }
    return dropped;
  }

  /** Hex digest (32 characters) of every bucket, index = bucket. */
  digests(): string[] {
    const hex = (word: number) => word.toString(16).padStart(8, '0');
    return Array.from({ length: BUCKETS }, (_, b) => Array.from(this.#digests.subarray(b * 4, b * 4 + 4), hex).join(''));
  }

  /** Sids held in the given buckets. */
  sidsIn(buckets: ReadonlySet<number>): string[] {
    return this.sids().filter((sid) => buckets.has(bucketOf(sid)));
  }

  clear(): void {
    this.#cache.clear();
  }

  /** XORs a record's hash into (or, the second time, out of) its bucket's digest. */
  #toggle(sid: string, record: SessionRecord): void {
    const at = bucketOf(sid) * 4;
    const text = `${sid}\0${recordFingerprint(record)}`;
    for (let i = 0; i < 4; i++) this.#digests[at + i]! ^= murmur32(text, SEEDS[i]!);
  }
}

/** Bucket of a sid: FNV-1a of its characters, modulo {@link BUCKETS}. Same on every node. */
export function bucketOf(sid: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < sid.length; i++) {
    hash ^= sid.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % BUCKETS;
}

const SEEDS = [0x9747b28c, 0x5bd1e995, 0x1b873593, 0xcc9e2d51];

/**
 * MurmurHash3 (32-bit) over UTF-16 code units; four seeds give a 128-bit record hash. Not a
 * cryptographic hash: digests only detect differences between trusted peers, and this one costs a
 * fraction of a crypto hash per change.
 */
function murmur32(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= text.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
