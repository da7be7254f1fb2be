import { isConnectionError, SessionTooLargeError, type ErrorKind, type SessionChange } from '@sessionkit/core';
import {
  removalJson,
  type Departed,
  type MergeResult,
  type PrincipalOfJson,
  type PruneResult,
  type SqlDialect,
  type UnfiledRow,
} from '../dialect.js';
import { tableNames, type TableNames } from '../identifiers.js';
import { ESC, escapeJson, escapeKey, unescapeJson } from './nul-escape.js';
import { StatementCache } from './statement-cache.js';

/** The part of a `better-sqlite3` `Database` the store uses. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  // `any[]`: better-sqlite3's generic signature is only assignable to a non-generic one this way.
  // biome-ignore lint/suspicious/noExplicitAny: see above
  transaction(fn: (...args: any[]) => unknown): (...args: any[]) => unknown;
  close(): unknown;
}

export interface SqliteStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}

/** `CREATE TABLE` / `CREATE INDEX` for SQLite, as in `sql/sqlite.sql`. */
export function sqliteSchema(names: TableNames): string {
  // In SQLite the schema qualifies the index name, and the indexed table is named bare.
  const index = names.schema ? `${names.schema}.${names.index}` : names.index;
  const bare = names.schema ? names.table.slice(names.schema.length + 1) : names.table;
  return [
    `CREATE TABLE IF NOT EXISTS ${names.table} (sid TEXT PRIMARY KEY NOT NULL, data TEXT, expires_at INTEGER NOT NULL, principal TEXT)`,
    `CREATE INDEX IF NOT EXISTS ${index} ON ${bare} (expires_at)`,
  ].join(';\n');
}

/** The upgrade of a table made before the principal index, as in `sql/sqlite.sql`. */
export function sqlitePrincipalDdl(names: TableNames, parts: { column: boolean; index: boolean }): string[] {
  const index = names.schema ? `${names.schema}.${names.principalIndex}` : names.principalIndex;
  const bare = names.schema ? names.table.slice(names.schema.length + 1) : names.table;
  const ddl: string[] = [];
  if (parts.column) ddl.push(`ALTER TABLE ${names.table} ADD COLUMN principal TEXT`);
  // Partial: anonymous sessions cost the index nothing.
  if (parts.index) ddl.push(`CREATE INDEX IF NOT EXISTS ${index} ON ${bare} (principal) WHERE principal IS NOT NULL`);
  return ddl;
}

/**
 * SQLite through `better-sqlite3`: `data TEXT` (JSON; U+0000 escaped, see `nul-escape.ts`),
 * `expires_at INTEGER` (epoch ms). Calls are synchronous, and each statement (or `patch`'s
 * transaction) is atomic, also across processes sharing the file (use WAL). Every statement has a
 * fixed shape and is prepared once.
 */
export class SqliteDialect implements SqlDialect {
  readonly name = 'sqlite';
  readonly #db: SqliteDatabase;
  readonly #names: TableNames;
  readonly #statements: StatementCache<SqliteStatement>;
  readonly #mergeSql: { upsert: string; size: string };
  #transactionRunner: { immediate(work: () => unknown): unknown } | undefined;

  constructor(db: SqliteDatabase, table: string, schema?: string) {
    this.#db = db;
    const t = (this.#names = tableNames(table, schema, '"')).table;
    this.#statements = new StatementCache((sql) => db.prepare(sql));
    // The stored object minus every key the change names (json_patch with {"key": null, …}),
    // then the `set` object spliced in as text: no key is in both, json_patch writes compact JSON
    // and `set` is JSON.stringify's, so the result is the compact JSON of the merged session.
    // (json_patch alone would merge nested objects and drop nulls; JSON_SET needs two arguments
    // per key, and SQLite caps a function's arguments.) An expired or damaged row starts from {}.
    const merged = `(SELECT CASE WHEN b = '{}' THEN s WHEN s = '{}' THEN b ELSE substr(b, 1, length(b) - 1) || ',' || substr(s, 2) END
      FROM (SELECT json_patch(CASE WHEN expires_at > ? AND json_valid(data) AND json_type(data) = 'object' THEN data ELSE '{}' END, ?) AS b, ? AS s))`;
    const upsert = `INSERT INTO ${t} (sid, data, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (sid) DO UPDATE SET data = ${merged}, expires_at = excluded.expires_at
       WHERE data IS NOT NULL OR expires_at <= ?`;
    // Bytes of the session's JSON: the stored text, 3 bytes less per doubled U+FDD0 (see nul-escape.ts).
    const size = `SELECT length(CAST(data AS BLOB)) - 3 * ((length(data) - length(replace(data, '${ESC}${ESC}', ''))) / 2) AS n,
      data, principal FROM ${t} WHERE sid = ?`;
    this.#mergeSql = { upsert, size };
  }

  async createTable(): Promise<void> {
    this.#db.exec(sqliteSchema(this.#names));
    for (const ddl of await this.upgradeDdl()) {
      try {
        this.#db.exec(ddl);
      } catch (err) {
        // another process added it first
        if (!/duplicate column name/i.test(String((err as Error).message))) throw err;
      }
    }
  }

  async upgradeDdl(): Promise<string[]> {
    const prefix = this.#names.schema ? `${this.#names.schema}.` : '';
    const quoted = `"${this.#names.name}"`;
    const columns = this.#db.prepare(`PRAGMA ${prefix}table_info(${quoted})`).all() as { name: string }[];
    if (columns.length === 0) return [];
    const indexes = this.#db.prepare(`PRAGMA ${prefix}index_list(${quoted})`).all() as { name: string }[];
    return sqlitePrincipalDdl(this.#names, {
      column: !columns.some((column) => column.name === 'principal'),
      index: !indexes.some((index) => index.name === `${this.#names.name}_principal_idx`),
    });
  }

  async read(sid: string, now: number): Promise<string | null> {
    const row = this.#sql(
      `SELECT data FROM ${this.#names.table} WHERE sid = ? AND data IS NOT NULL AND expires_at > ?`,
    ).get(sid, now);
    const text = (row as { data: string | null } | undefined)?.data;
    return typeof text === 'string' ? unescapeJson(text) : null;
  }

  async write(
    sid: string,
    json: string,
    expiresAt: number,
    _maxBytes: number,
    principal: string | null,
  ): Promise<boolean> {
    // One transaction, so "was there a row" and the upsert are one step, also across processes.
    return this.#transaction(() => {
      const existed = this.#sql(`SELECT 1 FROM ${this.#names.table} WHERE sid = ?`).get(sid) !== undefined;
      this.#sql(
        `INSERT INTO ${this.#names.table} (sid, data, expires_at, principal) VALUES (?, ?, ?, ?)
         ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, principal = excluded.principal`,
      ).run(sid, escapeJson(json), expiresAt, principal);
      return !existed;
    });
  }

  async merge(
    sid: string,
    change: SessionChange,
    expiresAt: number,
    now: number,
    maxBytes: number,
    principalOf: PrincipalOfJson,
    _decided?: unknown,
  ): Promise<MergeResult | null> {
    const setJson = escapeJson(JSON.stringify(change.set));
    // One transaction: the merged row is measured after the write, and an oversized one is rolled
    // back, so nothing is written; the principal of the merged text is filed before it commits.
    // It holds the write lock throughout, also against other processes.
    const removal = removalJson(change, escapeKey);
    return this.#transaction(() => {
      const existed = this.#sql(`SELECT 1 FROM ${this.#names.table} WHERE sid = ?`).get(sid) !== undefined;
      if (this.#sql(this.#mergeSql.upsert).run(sid, setJson, expiresAt, now, removal, setJson, now).changes === 0)
        return null;
      const row = this.#sql(this.#mergeSql.size).get(sid) as {
        n: number | null;
        data: string;
        principal: string | null;
      };
      const bytes = row.n ?? 0;
      if (bytes > maxBytes) throw new SessionTooLargeError(bytes, maxBytes);
      const principal = principalOf(unescapeJson(row.data));
      if (principal !== row.principal)
        this.#sql(`UPDATE ${this.#names.table} SET principal = ? WHERE sid = ?`).run(principal, sid);
      return { created: !existed, principal };
    });
  }

  async extend(sid: string, expiresAt: number, now: number): Promise<void> {
    this.#sql(
      `UPDATE ${this.#names.table} SET expires_at = ? WHERE sid = ? AND data IS NOT NULL AND expires_at > ?`,
    ).run(expiresAt, sid, now);
  }

  async remove(sid: string, until: number, now: number): Promise<Departed | null> {
    return this.#transaction(() => {
      const t = this.#names.table;
      const row = this.#sql(`SELECT principal FROM ${t} WHERE sid = ? AND data IS NOT NULL AND expires_at > ?`).get(
        sid,
        now,
      ) as { principal: string | null } | undefined;
      this.#sql(
        `INSERT INTO ${t} (sid, data, expires_at, principal) VALUES (?, NULL, ?, NULL)
         ON CONFLICT (sid) DO UPDATE SET data = NULL, expires_at = excluded.expires_at, principal = NULL`,
      ).run(sid, until);
      return row ? { sid, principal: row.principal } : null;
    });
  }

  async removeByPrincipal(principal: string, until: number, now: number): Promise<string[]> {
    const t = this.#names.table;
    const rows = this.#sql(
      `UPDATE ${t} SET data = NULL, expires_at = ?, principal = NULL WHERE principal = ? AND data IS NOT NULL AND expires_at > ? RETURNING sid`,
    ).all(until, principal, now) as { sid: string }[];
    return rows.map((row) => row.sid);
  }

  async principalIds(principal: string, after: string, now: number, limit: number): Promise<string[]> {
    const rows = this.#sql(
      `SELECT sid FROM ${this.#names.table} WHERE principal = ? AND sid > ? AND data IS NOT NULL AND expires_at > ? ORDER BY sid LIMIT ?`,
    ).all(principal, after, now, limit);
    return (rows as { sid: string }[]).map((row) => row.sid);
  }

  async unfiledAfter(after: string, now: number, limit: number): Promise<UnfiledRow[]> {
    const rows = this.#sql(
      `SELECT sid, data FROM ${this.#names.table} WHERE principal IS NULL AND sid > ? AND data IS NOT NULL AND expires_at > ? ORDER BY sid LIMIT ?`,
    ).all(after, now, limit) as { sid: string; data: string }[];
    return rows.map((row) => ({ sid: row.sid, json: unescapeJson(row.data), token: row.data }));
  }

  async fillPrincipal(row: UnfiledRow, principal: string): Promise<void> {
    this.#sql(`UPDATE ${this.#names.table} SET principal = ? WHERE sid = ? AND principal IS NULL AND data = ?`).run(
      principal,
      row.sid,
      row.token,
    );
  }

  async scanIds(after: string, now: number, limit: number): Promise<string[]> {
    const rows = this.#sql(
      `SELECT sid FROM ${this.#names.table} WHERE sid > ? AND data IS NOT NULL AND expires_at > ? ORDER BY sid LIMIT ?`,
    ).all(after, now, limit);
    return (rows as { sid: string }[]).map((row) => row.sid);
  }

  async count(now: number): Promise<number> {
    const row = this.#sql(
      `SELECT count(*) AS n FROM ${this.#names.table} WHERE data IS NOT NULL AND expires_at > ?`,
    ).get(now);
    return (row as { n: number }).n;
  }

  async removeAll(): Promise<void> {
    this.#sql(`DELETE FROM ${this.#names.table}`).run();
  }

  async pruneBatch(now: number, limit: number): Promise<PruneResult> {
    const t = this.#names.table;
    const rows = this.#sql(
      `DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE expires_at <= ? LIMIT ?) RETURNING sid, principal, data IS NOT NULL AS held`,
    ).all(now, limit) as { sid: string; principal: string | null; held: number }[];
    const expired = rows.filter((row) => row.held === 1).map((row) => ({ sid: row.sid, principal: row.principal }));
    return { deleted: rows.length, expired, more: rows.length === limit };
  }

  classify(err: unknown): ErrorKind {
    const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && code.startsWith('SQLITE_')) {
      // BUSY/LOCKED: another connection held the lock past the busy timeout (a timeout);
      // IOERR/CANTOPEN: the file cannot be read or written.
      if (/^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN)/.test(code)) return 'unavailable';
      // A constraint (e.g. a CHECK of your own), a value too big or of the wrong type, or JSON
      // the json functions refuse.
      if (/^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)/.test(code)) return 'data';
      if (
        code === 'SQLITE_ERROR' &&
        /malformed JSON|too many arguments|JSON cannot hold|nested too deep/i.test(String(message))
      )
        return 'data';
      return 'operation';
    }
    // better-sqlite3 after close(): the store's connection is gone, like a closed client elsewhere.
    if (isConnectionError(err) || /database connection is not open/i.test(String(message))) return 'unavailable';
    return 'operation';
  }

  watch(): () => void {
    return () => {};
  }

  async release(): Promise<void> {
    this.#db.close();
  }

  /**
   * Runs `work` in one IMMEDIATE transaction: the write lock is taken at BEGIN, so a read followed
   * by a write cannot fail halfway on a lock another process took in between. A throw rolls it back.
   */
  #transaction<T>(work: () => T): T {
    this.#transactionRunner ??= this.#db.transaction((fn: () => unknown) => fn()) as unknown as {
      immediate(work: () => unknown): unknown;
    };
    return this.#transactionRunner.immediate(work) as T;
  }

  #sql(text: string): SqliteStatement {
    return this.#statements.get(text);
  }
}
