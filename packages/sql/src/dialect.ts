import type { ErrorKind, SessionChange } from '@sessionkit/core';

export type SqlDialectName = 'postgres' | 'mysql' | 'sqlite';

/**
 * What `SqlSessionStore` needs from an engine. Every method is one parameterised statement of a
 * fixed shape (the DDL aside): the number of parameters never depends on the data, so a change of
 * `maxSessionKeys` keys stays within every engine's limits and MySQL/MariaDB keep a fixed, small set
 * of prepared statements. Times are epoch milliseconds computed by the caller, so all engines agree.
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
  /**
   * Upserts the whole session (clears a tombstone). `json` is already within `maxBytes` as
   * `JSON.stringify` counts it; an engine whose stored form can be larger checks that too.
   * @throws SessionTooLargeError when the stored form is over `maxBytes`; nothing is written.
   */
  write(sid: string, json: string, expiresAt: number, maxBytes: number): Promise<void>;
  /**
   * Upserts a change in one atomic statement: within a live session, keys in `change.unset` and
   * `change.set` are replaced whole (no deep merge, `null` values kept); an expired or damaged row
   * starts from `{}`; a live tombstone is left untouched. The merged session is measured inside the
   * statement (UTF-8 bytes of its compact JSON text).
   * @throws SessionTooLargeError when the merged session is over `maxBytes`; nothing is written.
   */
  merge(sid: string, change: SessionChange, expiresAt: number, now: number, maxBytes: number): Promise<void>;
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
  /**
   * How an error of this engine's driver counts: `data` when the engine refused this session's data
   * (it must never look like an outage), `unavailable` only for a lost connection or a timeout,
   * `operation` otherwise (a missing table, a permission).
   */
  classify(err: unknown): ErrorKind;
  /** Listens for errors the client reports outside a call (a pooled connection dying); returns the unsubscribe. */
  watch(onError: (err: Error) => void): () => void;
  /** Closes the client (only called when the store owns it). */
  end(): Promise<void>;
}

/**
 * The JSON object `{ "<key>": null, … }` naming every top-level key a change replaces or removes
 * (`unset` plus the keys of `set`). Merged into the stored session with RFC 7386 merge-patch
 * (SQLite's `json_patch`), it removes exactly those keys and touches nothing else; the `set`
 * object, whose keys are then all absent, is added whole. One parameter, whatever the key count.
 * `storedKey` maps a key to its stored form.
 */
export function removalJson(change: SessionChange, storedKey: (key: string) => string = (key) => key): string {
  let json = '{';
  let first = true;
  const add = (key: string) => {
    json += `${first ? '' : ','}${JSON.stringify(storedKey(key))}:null`;
    first = false;
  };
  for (const key of change.unset) add(key);
  for (const key of Object.keys(change.set)) add(key);
  return `${json}}`;
}
