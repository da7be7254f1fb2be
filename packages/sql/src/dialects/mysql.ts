import type { SessionChange } from '@sessionkit/core';
import { jsonEdit, type SqlDialect } from '../dialect.js';
import { tableNames, type TableNames } from '../identifiers.js';

/** The part of a `mysql2/promise` pool the store uses (`mysql2.createPool(…).promise()` or `mysql2/promise`'s `createPool`). */
export interface MysqlPool {
  // `any[]`: mysql2 declares its own recursive value type, which `unknown[]` does not satisfy.
  execute(sql: string, values?: any[]): Promise<[unknown, unknown]>;
  query(sql: string, values?: any[]): Promise<[unknown, unknown]>;
  end(): Promise<void>;
}

/** `CREATE TABLE` for MySQL and MariaDB, as in `sql/mysql.sql`. */
export function mysqlSchema(names: TableNames): string {
  // ascii_bin: sids are case-sensitive, and the default collation is not.
  return `CREATE TABLE IF NOT EXISTS ${names.table} (
  sid VARCHAR(160) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  data JSON NULL,
  expires_at BIGINT NOT NULL,
  INDEX ${names.index} (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
}

/** Deadlocks InnoDB may report when many upserts race on one new key; the statement was rolled back. */
const RETRYABLE = new Set(['ER_LOCK_DEADLOCK']);
const ATTEMPTS = 5;

/**
 * MySQL and MariaDB through a `mysql2` promise pool: `data JSON` (LONGTEXT with a JSON_VALID
 * check on MariaDB), `expires_at BIGINT` (epoch ms). `execute` prepares each statement once per
 * connection. `patch` is one `INSERT … ON DUPLICATE KEY UPDATE`, atomic per row under InnoDB's row lock.
 */
export class MysqlDialect implements SqlDialect {
  readonly name = 'mysql';
  readonly #pool: MysqlPool;
  readonly #names: TableNames;

  constructor(pool: MysqlPool, table: string, schema?: string) {
    this.#pool = pool;
    this.#names = tableNames(table, schema, '`');
  }

  async createTable(): Promise<void> {
    // CREATE TABLE IF NOT EXISTS holds a metadata lock, so instances starting together are safe.
    await this.#pool.query(mysqlSchema(this.#names));
  }

  async read(sid: string, now: number): Promise<string | null> {
    // CAST: MySQL hands JSON columns to mysql2 already parsed; the codec decodes the text itself.
    const rows = await this.#rows(
      `SELECT CAST(data AS CHAR) AS data FROM ${this.#names.table} WHERE sid = ? AND data IS NOT NULL AND expires_at > ?`,
      [sid, now],
    );
    return (rows[0]?.['data'] as string | undefined) ?? null;
  }

  async write(sid: string, json: string, expiresAt: number): Promise<void> {
    await this.#execute(
      `INSERT INTO ${this.#names.table} (sid, data, expires_at) VALUES (?, ?, ?)
       ON DUPLICATE KEY UPDATE data = VALUES(data), expires_at = VALUES(expires_at)`,
      [sid, json, expiresAt],
    );
  }

  async merge(sid: string, change: SessionChange, setJson: string, expiresAt: number, now: number): Promise<void> {
    // An expired row, or one that holds no object (damaged), starts from {}. The inner IF keeps
    // JSON_TYPE away from text that is not JSON, which MariaDB's strict mode turns into an error.
    const base = `IF(expires_at > ? AND JSON_VALID(data), IF(JSON_TYPE(data) = 'OBJECT', data, '{}'), '{}')`;
    const edit = jsonEdit(base, change, `JSON_EXTRACT(?, '$')`);
    // MySQL evaluates assignments left to right, so `expires_at` sees the new `data`: it is
    // NULL afterwards only when the row was a live tombstone, which must stay as it is.
    await this.#execute(
      `INSERT INTO ${this.#names.table} (sid, data, expires_at) VALUES (?, ?, ?)
       ON DUPLICATE KEY UPDATE
         data = IF(data IS NULL AND expires_at > ?, NULL, ${edit.sql}),
         expires_at = IF(data IS NULL, expires_at, VALUES(expires_at))`,
      [sid, setJson, expiresAt, now, now, ...edit.params],
    );
  }

  async extend(sid: string, expiresAt: number, now: number): Promise<void> {
    await this.#execute(`UPDATE ${this.#names.table} SET expires_at = ? WHERE sid = ? AND data IS NOT NULL AND expires_at > ?`, [
      expiresAt,
      sid,
      now,
    ]);
  }

  async tombstone(sid: string, until: number): Promise<void> {
    await this.#execute(
      `INSERT INTO ${this.#names.table} (sid, data, expires_at) VALUES (?, NULL, ?)
       ON DUPLICATE KEY UPDATE data = NULL, expires_at = VALUES(expires_at)`,
      [sid, until],
    );
  }

  async idsAfter(after: string, now: number, limit: number): Promise<string[]> {
    // LIMIT is an integer the store chose; prepared LIMIT parameters are refused by some servers.
    const rows = await this.#rows(
      `SELECT sid FROM ${this.#names.table} WHERE sid > ? AND data IS NOT NULL AND expires_at > ? ORDER BY sid LIMIT ${Math.trunc(limit)}`,
      [after, now],
    );
    return rows.map((row) => row['sid'] as string);
  }

  async count(now: number): Promise<number> {
    const rows = await this.#rows(`SELECT COUNT(*) AS n FROM ${this.#names.table} WHERE data IS NOT NULL AND expires_at > ?`, [now]);
    return Number(rows[0]?.['n']);
  }

  async removeAll(): Promise<void> {
    await this.#execute(`DELETE FROM ${this.#names.table}`, []);
  }

  async pruneBatch(now: number, limit: number): Promise<number> {
    const result = await this.#execute(`DELETE FROM ${this.#names.table} WHERE expires_at <= ? LIMIT ${Math.trunc(limit)}`, [now]);
    return (result as { affectedRows: number }).affectedRows;
  }

  watch(): () => void {
    // A mysql2 pool drops a connection that errors while idle by itself and emits nothing.
    return () => {};
  }

  end(): Promise<void> {
    return this.#pool.end();
  }

  async #rows(sql: string, values: unknown[]): Promise<Record<string, unknown>[]> {
    return (await this.#execute(sql, values)) as Record<string, unknown>[];
  }

  async #execute(sql: string, values: unknown[]): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        const [result] = await this.#pool.execute(sql, values);
        return result;
      } catch (err) {
        if (attempt >= ATTEMPTS || !RETRYABLE.has((err as { code?: string }).code ?? '')) throw err;
      }
    }
  }
}
