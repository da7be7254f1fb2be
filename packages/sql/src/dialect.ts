import type { SessionChange } from '@sessionkit/core';

export type SqlDialectName = 'postgres' | 'mysql' | 'sqlite';

/**
 * What `SqlSessionStore` needs from an engine. Every method is one parameterised statement (the
 * DDL aside). Times are epoch milliseconds computed by the caller, so all engines agree on them.
 *
 * Row states: `data` holds the session JSON; `data IS NULL` is a tombstone left by `destroy`,
 * which refuses `merge`/`extend` until its `expires_at` passes. Both kinds are removed by `prune`.
 */
export interface SqlDialect {
  readonly name: SqlDialectName;
  /** Creates the table and its `expires_at` index if missing; safe when several instances run it at once. */
  createTable(): Promise<void>;
  /** The stored JSON text of a live session, or `null`. */
  read(sid: string, now: number): Promise<string | null>;
  /** Upserts the whole session (clears a tombstone). */
  write(sid: string, json: string, expiresAt: number): Promise<void>;
  /**
   * Upserts a change in one statement: within a live session, keys in `change.unset` and
   * `change.set` are replaced whole (no deep merge, `null` values kept); an expired row starts
   * from `{}`; a live tombstone is left untouched. `setJson` is `JSON.stringify(change.set)`.
   */
  merge(sid: string, change: SessionChange, setJson: string, expiresAt: number, now: number): Promise<void>;
  /** Moves `expires_at` of a live session; nothing else. */
  extend(sid: string, expiresAt: number, now: number): Promise<void>;
  /** Replaces the row with a tombstone kept until `until`. */
  tombstone(sid: string, until: number): Promise<void>;
  /** Up to `limit` live sids greater than `after`, in order. */
  idsAfter(after: string, now: number, limit: number): Promise<string[]>;
  count(now: number): Promise<number>;
  /** Deletes every row of the table. */
  removeAll(): Promise<void>;
  /** Deletes up to `limit` rows (sessions and tombstones) whose `expires_at` has passed; returns how many. */
  pruneBatch(now: number, limit: number): Promise<number>;
  /** Listens for errors the client reports outside a call (a pooled connection dying); returns the unsubscribe. */
  watch(onError: (err: Error) => void): () => void;
  /** Closes the client (only called when the store owns it). */
  end(): Promise<void>;
}

/** A JSON path naming one top-level key, as MySQL/MariaDB and SQLite read it: `$."key"` with JSON string escapes. */
export function keyPath(key: string): string {
  return `$.${JSON.stringify(key)}`;
}

/**
 * SQL that applies `change` to the JSON object `base` with JSON_REMOVE / JSON_SET (MySQL,
 * MariaDB, SQLite), and its parameters in order. JSON_SET replaces a key whole and keeps `null`
 * values, where JSON_MERGE_PATCH / json_patch (RFC 7386) would merge objects deeply and drop
 * nulls. `jsonValue` wraps a parameter holding JSON text so it is inserted as JSON, not as a string.
 */
export function jsonEdit(base: string, change: SessionChange, jsonValue: string): { sql: string; params: string[] } {
  let sql = base;
  const params: string[] = [];
  if (change.unset.length) {
    sql = `JSON_REMOVE(${sql}${', ?'.repeat(change.unset.length)})`;
    params.push(...change.unset.map(keyPath));
  }
  const entries = Object.entries(change.set);
  if (entries.length) {
    sql = `JSON_SET(${sql}${`, ?, ${jsonValue}`.repeat(entries.length)})`;
    for (const [key, value] of entries) params.push(keyPath(key), JSON.stringify(value));
  }
  return { sql, params };
}
