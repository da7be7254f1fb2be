import { createHash } from 'node:crypto';
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
  readonly #digests = Array.from({ length: BUCKETS }, () => Buffer.alloc(16));

  constructor(
    max: number,
    private readonly tombstoneTtlMs: number,
  ) {
    this.#cache = new LRUCache<string, SessionRecord>({
      max,
      // Every way a record leaves (replaced, evicted, deleted, cleared) takes its hash out of the digest.
      dispose: (record, sid) => xorInto(this.#digests[bucketOf(sid)]!, hashOf(sid, recordFingerprint(record))),
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
    const fingerprint = recordFingerprint(next);
    if (current && fingerprint === recordFingerprint(current)) return false;
    if (!isRetained(next, now, this.tombstoneTtlMs)) {
      if (current) this.#cache.delete(sid);
      return Boolean(current);
    }
    this.#cache.set(sid, next);
    xorInto(this.#digests[bucketOf(sid)]!, hashOf(sid, fingerprint));
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

  /** Hex digest of every bucket, index = bucket. */
  digests(): string[] {
    return this.#digests.map((digest) => digest.toString('hex'));
  }

  /** Sids held in the given buckets. */
  sidsIn(buckets: ReadonlySet<number>): string[] {
    return this.sids().filter((sid) => buckets.has(bucketOf(sid)));
  }

  clear(): void {
    this.#cache.clear();
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

function hashOf(sid: string, fingerprint: string): Buffer {
  return createHash('sha256').update(sid).update('\0').update(fingerprint).digest().subarray(0, 16);
}

function xorInto(target: Buffer, hash: Buffer): void {
  for (let i = 0; i < 16; i++) target[i] = target[i]! ^ hash[i]!;
}
