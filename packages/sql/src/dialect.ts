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
  /**
   * Creates the table and its indexes if missing, and adds what an older table lacks (the
   * `principal` column and its index, see `upgradeDdl`); safe when several instances run it at once.
   */
  createTable(): Promise<void>;
  /**
   * The DDL statements that would bring an existing table up to the current schema (add the
   * `principal` column, create its index), read from the engine's catalog; empty when the table is
   * current. A missing table needs none (`createTable` creates it whole).
   */
  upgradeDdl(): Promise<string[]>;
  /** The stored JSON text of a live session, or `null`. */
  read(sid: string, now: number): Promise<string | null>;
  /**
   * Upserts the whole session (clears a tombstone) filed under `principal` (`null`: anonymous).
   * `json` is already within `maxBytes` as `JSON.stringify` counts it; an engine whose stored form
   * can be larger checks that too. Resolves to `true` when the statement inserted a new row.
   * @throws SessionTooLargeError when the stored form is over `maxBytes`; nothing is written.
   */
  write(sid: string, json: string, expiresAt: number, maxBytes: number, principal: string | null): Promise<boolean>;
  /**
   * Upserts a change in one atomic step: within a live session, keys in `change.unset` and
   * `change.set` are replaced whole (no deep merge, `null` values kept); an expired or damaged row
   * starts from `{}`; a live tombstone is left untouched. The merged session is measured inside the
   * statement (UTF-8 bytes of its compact JSON text), and its `principal` column is set to
   * `principalOf(merged JSON text)`, so the index always matches the data it was computed from.
   * Resolves to what was written (`null` when a live tombstone refused the change).
   * @throws SessionTooLargeError when the merged session is over `maxBytes`; nothing is written.
   */
  merge(
    sid: string,
    change: SessionChange,
    expiresAt: number,
    now: number,
    maxBytes: number,
    principalOf: PrincipalOfJson,
    decided: DecidedPrincipal,
  ): Promise<MergeResult | null>;
  /** Moves `expires_at` of a live session; nothing else. */
  extend(sid: string, expiresAt: number, now: number): Promise<void>;
  /**
   * Replaces the row with a tombstone kept until `until` (no principal). Resolves to the live
   * session it replaced (with its principal), or `null` when there was none.
   */
  remove(sid: string, until: number, now: number): Promise<Departed | null>;
  /** Tombstones (until `until`) every live session filed under `principal`; resolves to their sids. */
  removeByPrincipal(principal: string, until: number, now: number): Promise<string[]>;
  /** Up to `limit` live sids greater than `after`, in order. */
  scanIds(after: string, now: number, limit: number): Promise<string[]>;
  /** Up to `limit` live sids filed under `principal` greater than `after`, in order, through the principal index. */
  principalIds(principal: string, after: string, now: number, limit: number): Promise<string[]>;
  count(now: number): Promise<number>;
  /** Deletes every row of the table. */
  removeAll(): Promise<void>;
  /**
   * Deletes up to `limit` rows (sessions and tombstones) whose `expires_at` has passed; resolves to
   * how many, and the sessions (not tombstones) among them, each reported by exactly one deleter.
   */
  pruneBatch(now: number, limit: number): Promise<PruneResult>;
  /**
   * Up to `limit` live rows with no principal filed (written before the column existed, or
   * anonymous) after `after`, in sid order, with a token that `fillPrincipal` checks.
   */
  unfiledAfter(after: string, now: number, limit: number): Promise<UnfiledRow[]>;
  /** Files `principal` for the row of `row.sid` when it still holds what was read (its token matches). */
  fillPrincipal(row: UnfiledRow, principal: string): Promise<void>;
  /**
   * How an error of this engine's driver counts: `data` when the engine refused this session's data
   * (it must never look like an outage), `unavailable` only for a lost connection or a timeout,
   * `operation` otherwise (a missing table, a permission).
   */
  classify(err: unknown): ErrorKind;
  /** Listens for errors the client reports outside a call (a pooled connection dying); returns the unsubscribe. */
  watch(onError: (err: Error) => void): () => void;
  /** Closes the client (only called when the store owns it). */
  release(): Promise<void>;
}

/**
 * The principal the change alone decides (`null`: anonymous), {@link PRINCIPAL_KEPT} when the change
 * touches none of the keys the default principal is read from (the session stays filed where it
 * is), or `undefined` when it depends on the rest of the session (see `principalOfChange` in core).
 * A dialect that merges inside the database files a decided principal in the merge statement
 * itself, and needs no merged text back for a kept one.
 */
export type DecidedPrincipal = string | null | undefined | typeof PRINCIPAL_KEPT;

/** See {@link DecidedPrincipal}. */
export const PRINCIPAL_KEPT: unique symbol = Symbol('principal kept');

/** The principal id of a session given as its JSON text (as stored, U+0000 unescaped), or `null` when anonymous. */
export type PrincipalOfJson = (json: string) => string | null;

/** What a `merge` wrote. */
export interface MergeResult {
  /** True when the statement made a new row. */
  created: boolean;
  /** The principal filed for the merged session. */
  principal: string | null;
}

/** A live session that a `remove` or a prune removed. */
export interface Departed {
  sid: string;
  principal: string | null;
}

export interface PruneResult {
  /** Rows deleted, tombstones included. */
  deleted: number;
  /** The sessions among them (rows that still held data when their TTL passed). */
  expired: Departed[];
  /** True when the batch was full, so more expired rows may be left. */
  more: boolean;
}

/** A live row without a filed principal, as `unfiledAfter` read it. */
export interface UnfiledRow {
  sid: string;
  /** The session's JSON text. */
  json: string;
  /** What the engine compares to tell the row was not written since (xmin, a hash of the text). */
  token: string;
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
