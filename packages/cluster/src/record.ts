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
 * or `destroy` (`dead`: a tombstone). A record keeps only entries written at or after its `reset`:
 * a `set` drops every older key, while a patch written after the `set` on a node that had not seen
 * it yet survives (last writer wins per key). A tombstone hides every key, older or newer, which is
 * how a destroy beats a late patch from a request that loaded the session before it; a later `set`
 * starts a fresh session. A session created by `patch` has the `ZERO` incarnation.
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
 * Merges two records of one sid (pure; neither argument is changed): the newer incarnation, every
 * key and the expiry at their newest version, minus entries older than the incarnation. That is a
 * union followed by a filter that only grows stricter, so the merge is commutative, associative and
 * idempotent. Returns `a` itself when `b` adds nothing to it, so callers detect "no change" by identity.
 */
export function mergeRecords(a: SessionRecord, b: SessionRecord): SessionRecord {
  const order = compareVersions(a.reset, b.reset);
  const [base, other] = order >= 0 ? [a, b] : [b, a];
  const reset = base.reset;
  let keys = base.keys; // copied on the first change
  for (const [key, entry] of Object.entries(base.keys)) {
    if (compareVersions(entry.v, reset) >= 0) continue;
    if (keys === base.keys) keys = { ...base.keys };
    delete keys[key];
  }
  for (const [key, entry] of Object.entries(other.keys)) {
    if (compareVersions(entry.v, reset) < 0) continue; // written before this incarnation began
    const mine = Object.hasOwn(keys, key) ? keys[key] : undefined;
    if (!mine || compareVersions(entry.v, mine.v) > 0) {
      if (keys === base.keys) keys = { ...base.keys };
      keys[key] = entry;
    }
  }
  const candidate = other.expiry && compareVersions(other.expiry.v, reset) >= 0 ? other.expiry : undefined;
  const own = base.expiry && compareVersions(base.expiry.v, reset) >= 0 ? base.expiry : undefined;
  const expiry = newer(own, candidate);
  const dead = base.dead || (order === 0 && other.dead);
  if (base === a && keys === a.keys && expiry === a.expiry && dead === a.dead) return a;
  const merged: SessionRecord = { reset, keys };
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
