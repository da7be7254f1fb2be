import { byteLength, PrincipalIndex } from '@sessionkit/core';
import { LRUCache } from 'lru-cache';
import { isRetained, mergeRecords, recordFingerprint, type SessionRecord } from './record.js';

/** Number of digest buckets anti-entropy compares; a differing bucket is repaired whole. */
export const BUCKETS = 256;

/** Fixed cost counted per record on top of its text (objects, versions, LRU node). */
const RECORD_OVERHEAD_BYTES = 256;
/** Fixed cost counted per key on top of its name and JSON text (entry object, version). */
const KEY_OVERHEAD_BYTES = 48;

/** Names the user of a record (a live session), `undefined` when anonymous. */
export type RecordPrincipal = (sid: string, record: SessionRecord) => string | undefined;

interface Entry {
  readonly record: SessionRecord;
  /** Bytes counted against the bound. */
  readonly bytes: number;
  readonly principal: string | undefined;
}

export interface ReplicaStateOptions {
  /** Most records (sessions and tombstones) held. */
  max: number;
  /** Most bytes held, as counted by {@link recordBytes}. */
  maxSizeBytes: number;
  tombstoneTtlMs: number;
  /** The principal of a live session; tombstones are always anonymous. */
  principal: RecordPrincipal;
  /** Called when a read or a sweep drops a session (not a tombstone) whose expiry passed. */
  expired?: (sid: string, principal: string | undefined) => void;
}

/**
 * The sessions one node holds, plus one digest per bucket, kept up to date on every change: the
 * XOR of a 16-byte hash of each record's sid and versions, so the order of changes does not
 * matter. Hashes are recomputed rather than stored, to keep memory per session low.
 *
 * Records live in two LRU lists under one count (`max`) and byte (`maxSizeBytes`) bound: anonymous
 * sessions and tombstones, and sessions with a principal. Beyond either bound the least recently
 * used anonymous record goes first, and a logged-in session only when no anonymous one is left,
 * so a flood of anonymous sessions (every request without a cookie can make one) cannot push
 * logged-in users out.
 *
 * Expired sessions and old tombstones are dropped when read and by {@link ReplicaState.sweep}.
 *
 * Principal index: every record that enters carries the principal of its merged keys, and a
 * {@link PrincipalIndex} follows every way a record enters or leaves (the LRU's dispose), so each
 * node answers `idsByPrincipal` from what it holds, whichever node made the changes.
 */
export class ReplicaState {
  readonly #anonymous: LRUCache<string, Entry>;
  readonly #known: LRUCache<string, Entry>;
  /** Four 32-bit words per bucket. */
  readonly #digests = new Uint32Array(BUCKETS * 4);
  readonly #options: ReplicaStateOptions;
  readonly #index = new PrincipalIndex();
  #bytes = 0;

  constructor(options: ReplicaStateOptions) {
    this.#options = options;
    const lru: LRUCache.Options<string, Entry, unknown> = {
      max: options.max,
      // Every way a record leaves (replaced, evicted, deleted, cleared) takes its hash out of the
      // digest and its bytes off the count.
      dispose: (entry, sid) => {
        this.#bytes -= entry.bytes;
        this.#toggle(sid, entry.record);
        this.#index.remove(sid);
      },
    };
    this.#anonymous = new LRUCache(lru);
    this.#known = new LRUCache(lru);
  }

  /** Records held now, expired ones included until they are read or swept. */
  get size(): number {
    return this.#anonymous.size + this.#known.size;
  }

  /** Bytes held now, as counted against `maxSizeBytes`. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The record for `sid` when it is still retained at `now` (live session or young tombstone). */
  get(sid: string, now = Date.now()): SessionRecord | undefined {
    const entry = this.#known.get(sid) ?? this.#anonymous.get(sid);
    if (!entry) return undefined;
    if (isRetained(entry.record, now, this.#options.tombstoneTtlMs)) return entry.record;
    this.delete(sid);
    if (!entry.record.dead) this.#options.expired?.(sid, entry.principal);
    return undefined;
  }

  /** The sids filed under `principal` (a copy; expired ones included until read or swept). */
  sidsOf(principal: string): string[] {
    return this.#index.sids(principal);
  }

  /** The principal of the session held for `sid`, `undefined` when anonymous or not held. */
  principalOf(sid: string): string | undefined {
    return this.#known.peek(sid)?.principal;
  }

  /** Merges `incoming` into what is held for `sid`; returns false when nothing changed. */
  apply(sid: string, incoming: SessionRecord, now = Date.now()): boolean {
    const held = this.#known.get(sid) ?? this.#anonymous.get(sid);
    const current = held && isRetained(held.record, now, this.#options.tombstoneTtlMs) ? held.record : undefined;
    const next = current ? mergeRecords(current, incoming) : incoming;
    if (next === current) return false;
    if (!isRetained(next, now, this.#options.tombstoneTtlMs)) {
      if (held) this.delete(sid);
      return Boolean(current);
    }
    // Only a change of keys can change whose session it is.
    const principal = next.dead
      ? undefined
      : current && next.keys === current.keys
        ? held!.principal
        : this.#options.principal(sid, next);
    const entry: Entry = { record: next, bytes: recordBytes(sid, next), principal };
    const [list, other] = principal === undefined ? [this.#anonymous, this.#known] : [this.#known, this.#anonymous];
    other.delete(sid);
    list.set(sid, entry);
    this.#index.assign(sid, principal);
    this.#bytes += entry.bytes;
    this.#toggle(sid, next);
    this.#evict();
    return true;
  }

  delete(sid: string): void {
    this.#anonymous.delete(sid);
    this.#known.delete(sid);
  }

  /**
   * Sids held now, logged-in sessions first, most recently used first within each list (a copy, so
   * callers may change the state while walking).
   */
  sids(): string[] {
    return [...this.#known.keys(), ...this.#anonymous.keys()];
  }

  /** Drops expired sessions and old tombstones; returns how many were dropped. */
  sweep(now = Date.now()): number {
    let dropped = 0;
    for (const list of [this.#known, this.#anonymous]) {
      for (const [sid, entry] of [...list.entries()]) {
        if (!isRetained(entry.record, now, this.#options.tombstoneTtlMs)) {
          list.delete(sid);
          dropped++;
          if (!entry.record.dead) this.#options.expired?.(sid, entry.principal);
        }
      }
    }
    return dropped;
  }

  /** Hex digest (32 characters) of every bucket, index = bucket. */
  digests(): string[] {
    const hex = (word: number) => word.toString(16).padStart(8, '0');
    const bucket = (b: number) => Array.from(this.#digests.subarray(b * 4, b * 4 + 4), hex).join('');
    return Array.from({ length: BUCKETS }, (_, b) => bucket(b));
  }

  /** Sids held in the given buckets. */
  sidsIn(buckets: ReadonlySet<number>): string[] {
    return this.sids().filter((sid) => buckets.has(bucketOf(sid)));
  }

  clear(): void {
    this.#known.clear();
    this.#anonymous.clear();
    this.#index.clear();
  }

  /**
   * Evicts least recently used records, anonymous ones first, until both bounds hold. A new
   * anonymous session that does not fit beside the logged-in ones is itself the one evicted.
   */
  #evict(): void {
    const { max, maxSizeBytes } = this.#options;
    while (this.size > max || this.#bytes > maxSizeBytes) {
      if (this.#anonymous.pop() === undefined && this.#known.pop() === undefined) return;
    }
  }

  /** XORs a record's hash into (or, the second time, out of) its bucket's digest. */
  #toggle(sid: string, record: SessionRecord): void {
    const at = bucketOf(sid) * 4;
    const text = `${sid}\0${recordFingerprint(record)}`;
    for (let i = 0; i < 4; i++) this.#digests[at + i]! ^= murmur32(text, SEEDS[i]!);
  }
}

/** Bytes a record counts against `maxSizeBytes`: UTF-8 of its sid, key names and values, plus fixed overheads. */
export function recordBytes(sid: string, record: SessionRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(sid);
  for (const key in record.keys) {
    const json = record.keys[key]!.json;
    bytes += KEY_OVERHEAD_BYTES + byteLength(key) + (json === undefined ? 0 : byteLength(json));
  }
  return bytes;
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
