import { compareVersions, type Version } from './clock.js';

/** One top-level key of a session: its JSON text, or no `json` when the key was unset. */
export interface KeyEntry {
  v: Version;
  json?: string;
}

/** The session's absolute expiry (epoch ms), versioned so concurrent touches converge. */
export interface Expiry {
  v: Version;
  at: number;
}

/**
 * What a node holds for one sid, and also what it sends: a whole record, or the part of one that a
 * single write changed. Records form a join-semilattice under {@link mergeRecords}, so applying the
 * same records in any order, any number of times, gives the same result on every node.
 *
 * `reset` names the incarnation: the version of the latest `set` (which replaces the whole session)
 * or `destroy` (`dead`: a tombstone). Keys and expiry always belong to that incarnation; a record
 * with an older `reset` is discarded whole, which is how a destroy beats a late patch from a request
 * that loaded the session before it, and how a later `set` starts a fresh session after a destroy.
 * A session created by `patch` has the `ZERO` incarnation.
 */
export interface SessionRecord {
  reset: Version;
  dead?: true;
  /**
   * Key name → entry. A plain object (null-prototype objects cost several times the memory):
   * `__proto__`, `constructor` and `prototype` are refused before a key gets here (codec at the
   * origin, protocol on arrival), and lookups check own properties only.
   */
  keys: Record<string, KeyEntry>;
  expiry?: Expiry;
}

/** An empty key map. */
export function emptyKeys(): Record<string, KeyEntry> {
  return {};
}

/**
 * Merges two records of one sid (pure; neither argument is changed). The newer incarnation wins
 * whole; within one incarnation each key and the expiry keep the entry with the newer version
 * (last writer wins). Commutative, associative and idempotent. Returns `a` itself when `b` adds
 * nothing to it, so callers detect "no change" by identity.
 */
export function mergeRecords(a: SessionRecord, b: SessionRecord): SessionRecord {
  const order = compareVersions(a.reset, b.reset);
  if (order > 0) return a;
  if (order < 0) return b;
  let keys = a.keys; // copied on the first entry b wins
  for (const [key, entry] of Object.entries(b.keys)) {
    const mine = Object.hasOwn(keys, key) ? keys[key] : undefined;
    if (!mine || compareVersions(entry.v, mine.v) > 0) {
      if (keys === a.keys) keys = { ...a.keys };
      keys[key] = entry;
    }
  }
  const expiry = newer(a.expiry, b.expiry);
  const dead = a.dead || b.dead;
  if (keys === a.keys && expiry === a.expiry && dead === a.dead) return a;
  const merged: SessionRecord = { reset: a.reset, keys };
  if (dead) merged.dead = true;
  if (expiry) merged.expiry = expiry;
  return merged;
}

/** A session that `get` returns: alive and not yet expired at `now` (epoch ms). */
export function isVisible(record: SessionRecord, now: number): boolean {
  return !record.dead && record.expiry !== undefined && record.expiry.at > now;
}

/**
 * Worth keeping at `now`: a visible session, or a tombstone younger than `tombstoneTtlMs`
 * (its age counts from the destroy's wall time, the same on every node).
 */
export function isRetained(record: SessionRecord, now: number, tombstoneTtlMs: number): boolean {
  return record.dead ? record.reset[0] + tombstoneTtlMs > now : isVisible(record, now);
}

/** The session as JSON text: its set keys, in a stable order. */
export function recordJson(record: SessionRecord): string {
  const parts: string[] = [];
  for (const key of Object.keys(record.keys).sort()) {
    const json = record.keys[key]!.json;
    if (json !== undefined) parts.push(`${JSON.stringify(key)}:${json}`);
  }
  return `{${parts.join(',')}}`;
}

/** Every version a record carries, for the clock to observe. */
export function* recordVersions(record: SessionRecord): Iterable<Version> {
  yield record.reset;
  for (const entry of Object.values(record.keys)) yield entry.v;
  if (record.expiry) yield record.expiry.v;
}

/** A stable text of the record's versions; equal on two nodes exactly when they hold the same record. */
export function recordFingerprint(record: SessionRecord): string {
  let text = `${record.reset.join('/')}${record.dead ? '!' : ''}`;
  for (const key of Object.keys(record.keys).sort()) text += `|${key}@${record.keys[key]!.v.join('/')}`;
  if (record.expiry) text += `|@${record.expiry.v.join('/')}:${record.expiry.at}`;
  return text;
}

function newer(a: Expiry | undefined, b: Expiry | undefined): Expiry | undefined {
  if (!a) return b;
  if (!b) return a;
  return compareVersions(b.v, a.v) > 0 ? b : a;
}
