import type { SessionChange } from '@sessionkit/core';
import { jsonEdit, type SqlDialect } from '../dialect.js';
import { tableNames, type TableNames } from '../identifiers.js';
import { StatementCache } from './statement-cache.js';

/** The part of a `better-sqlite3` `Database` the store uses. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
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
    `CREATE TABLE IF NOT EXISTS ${names.table} (sid TEXT PRIMARY KEY NOT NULL, data TEXT, expires_at INTEGER NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS ${index} ON ${bare} (expires_at)`,
  ].join(';\n');
}

/**
 * SQLite through `better-sqlite3`: `data TEXT` (JSON), `expires_at INTEGER` (epoch ms). Calls are
 * synchronous and each statement is atomic, also across processes sharing the file (use WAL).
 */
export class SqliteDialect implements SqlDialect {
  readonly name = 'sqlite';
  readonly #db: SqliteDatabase;
  readonly #names: TableNames;
  readonly #statements: StatementCache<SqliteStatement>;

  constructor(db: SqliteDatabase, table: string, schema?: string) {
    this.#db = db;
    this.#names = tableNames(table, schema, '"');
    this.#statements = new StatementCache((sql) => db.prepare(sql));
  }

  async createTable(): Promise<void> {
    this.#db.exec(sqliteSchema(this.#names));
  }

  async read(sid: string, now: number): Promise<string | null> {
    const row = this.#sql(`SELECT data FROM ${this.#names.table} WHERE sid = ? AND data IS NOT NULL AND expires_at > ?`).get(sid, now);
    return (row as { data: string } | undefined)?.data ?? null;
  }

  async write(sid: string, json: string, expiresAt: number): Promise<void> {
    this.#sql(
      `INSERT INTO ${this.#names.table} (sid, data, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
    ).run(sid, json, expiresAt);
  }

  async merge(sid: string, change: SessionChange, setJson: string, expiresAt: number, now: number): Promise<void> {
    // An expired row, or one that holds no object (damaged), starts from {}.
    const base = `(CASE WHEN expires_at > ? AND json_valid(data) AND json_type(data) = 'object' THEN data ELSE '{}' END)`;
    const edit = jsonEdit(base, change, 'json(?)');
    this.#sql(
      `INSERT INTO ${this.#names.table} (sid, data, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (sid) DO UPDATE SET data = ${edit.sql}, expires_at = excluded.expires_at
       WHERE data IS NOT NULL OR expires_at <= ?`,
    ).run(sid, setJson, expiresAt, now, ...edit.params, now);
  }

  async extend(sid: string, expiresAt: number, now: number): Promise<void> {
    this.#sql(`UPDATE ${this.#names.table} SET expires_at = ? WHERE sid = ? AND data IS NOT NULL AND expires_at > ?`).run(
      expiresAt,
      sid,
      now,
    );
  }

  async tombstone(sid: string, until: number): Promise<void> {
    this.#sql(
      `INSERT INTO ${this.#names.table} (sid, data, expires_at) VALUES (?, NULL, ?)
       ON CONFLICT (sid) DO UPDATE SET data = NULL, expires_at = excluded.expires_at`,
    ).run(sid, until);
  }

  async idsAfter(after: string, now: number, limit: number): Promise<string[]> {
    const rows = this.#sql(
      `SELECT sid FROM ${this.#names.table} WHERE sid > ? AND data IS NOT NULL AND expires_at > ? ORDER BY sid LIMIT ?`,
    ).all(after, now, limit);
    return (rows as { sid: string }[]).map((row) => row.sid);
  }

  async count(now: number): Promise<number> {
    const row = this.#sql(`SELECT count(*) AS n FROM ${this.#names.table} WHERE data IS NOT NULL AND expires_at > ?`).get(now);
    return (row as { n: number }).n;
  }

  async removeAll(): Promise<void> {
    this.#sql(`DELETE FROM ${this.#names.table}`).run();
  }

  async pruneBatch(now: number, limit: number): Promise<number> {
    const t = this.#names.table;
    return this.#sql(`DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE expires_at <= ? LIMIT ?)`).run(now, limit).changes;
  }

  watch(): () => void {
    return () => {};
  }

  async end(): Promise<void> {
    this.#db.close();
  }

  #sql(text: string): SqliteStatement {
    return this.#statements.get(text);
  }
}
