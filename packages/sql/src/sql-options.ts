import type { BaseStoreOptions } from '@sessionkit/core';
import type { SqlClient } from './detect.js';
import type { SqlDialectName } from './dialect.js';

export interface SqlSessionStoreOptions extends BaseStoreOptions {
  /** A `pg` Pool, a `mysql2` pool (promise or callback API; MySQL or MariaDB), or a `better-sqlite3` Database. */
  client: SqlClient;
  /** The engine; recognised from `client` when omitted. */
  dialect?: SqlDialectName;
  /** Table name (letters, digits, `_`; at most 48 characters). Default `sessions`. */
  table?: string;
  /** Schema (PostgreSQL), database (MySQL/MariaDB) or attached database (SQLite) holding the table. Default: the connection's. */
  schema?: string;
  /**
   * Create the table and its indexes on first use if missing, and add the `principal` column and
   * index to a table made by an earlier version. Default `true`. With `false`, a table without the
   * column is refused with the DDL to run (or call `migrate()`).
   */
  createTable?: boolean;
  /** Milliseconds between prune runs; `0` or `false` turns the interval off. Default 300000 (5 minutes). */
  pruneIntervalMs?: number | false;
  /** Rows deleted per prune statement. Default 1000. */
  pruneBatchSize?: number;
  /** Also close `client` in `close()`. Default `false`; `createStore` sets it for the client it creates. */
  closeClient?: boolean;
}

/** Default `pruneIntervalMs`: 5 minutes. */
export const DEFAULT_PRUNE_INTERVAL_MS = 300_000;
/** Default `pruneBatchSize`. */
export const DEFAULT_PRUNE_BATCH_SIZE = 1000;
