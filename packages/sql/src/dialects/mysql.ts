import { isConnectionError, SessionEncodeError, SessionTooLargeError, type ErrorKind, type SessionChange } from '@sessionkit/core';
import type { SqlDialect } from '../dialect.js';
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
  // VARBINARY: sids compare byte for byte (case, trailing spaces and every Unicode character
  // count), which no VARCHAR collation does on both servers. 768 bytes hold 256 UTF-16 units.
  return `CREATE TABLE IF NOT EXISTS ${names.table} (
  sid VARBINARY(768) NOT NULL PRIMARY KEY,
  data JSON NULL,
  expires_at BIGINT NOT NULL,
  INDEX ${names.index} (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
}

/**
 * How many key paths `patch`'s JSON_REMOVE takes: the change's keys, padded to the next of these
 * sizes by repeating the last path (removing a key twice changes nothing). A handful of statement
 * shapes, whatever the sessions hold. The merged text appears twice in the statement, so the
 * largest keeps the placeholders within the protocol's 65,535.
 */
const REMOVE_ARITIES = [0, 8, 64, 512, 4096, 16384];

/** The size `patch` reports when the server could not merge at all (JSON functions give NULL). */
const UNMERGEABLE = Number.MAX_SAFE_INTEGER;

/** A JSON path naming one top-level key: `$."key"` with JSON string escapes. */
function keyPath(key: string): string {
  return `$.${JSON.stringify(key)}`;
}

/** Deadlocks InnoDB may report when many upserts race on one new key; the statement was rolled back. */
const RETRYABLE = new Set(['ER_LOCK_DEADLOCK']);
const ATTEMPTS = 5;

// Server errors that are this session's data, by errno (mysql2 names some MariaDB errnos after
// unrelated MySQL errors, so the number is what counts): 1390 too many placeholders, 1153 a packet
// over max_allowed_packet, 4025 a CHECK constraint (MariaDB's JSON_VALID on `data`).
const DATA_ERRNOS = new Set([1390, 1153, 4025]);
// Server errors that mean the server cannot be used now: 1040 too many connections, 1045 access
// denied (at connect), 1053 shutdown in progress, 1203 too many connections for the user,
// 1969 max_statement_time exceeded (MariaDB), 3024 max_execution_time exceeded (MySQL).
const UNAVAILABLE_ERRNOS = new Set([1040, 1045, 1053, 1203, 1969, 3024]);

/**
 * MySQL and MariaDB through a `mysql2` promise pool: `data JSON` (LONGTEXT with a JSON_VALID
 * check on MariaDB), `expires_at BIGINT` (epoch ms). Statements come in a fixed set of shapes, so
 * `execute` prepares at most 15 per connection, whatever the sessions hold. `patch` is one
 * `INSERT … ON DUPLICATE KEY UPDATE`, atomic per row under InnoDB's row lock.
 */
export class MysqlDialect implements SqlDialect {
  readonly name = 'mysql';
  readonly #pool: MysqlPool;
  readonly #names: TableNames;
  readonly #mergeStatements = new Map<number, Promise<string>>();

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

  async merge(sid: string, change: SessionChange, expiresAt: number, now: number, maxBytes: number): Promise<void> {
    const setJson = JSON.stringify(change.set);
    const paths = [...change.unset, ...Object.keys(change.set)].map(keyPath);
    const arity = REMOVE_ARITIES.find((size) => size >= paths.length);
    if (arity === undefined) {
      throw new SessionEncodeError(`a patch changes ${paths.length} keys; MySQL/MariaDB take at most ${REMOVE_ARITIES.at(-1)} at once (lower maxSessionKeys)`);
    }
    while (paths.length < arity) paths.push(paths[paths.length - 1] as string);
    const merged = [now, ...paths, setJson];
    const result = await this.#execute(await this.#mergeStatement(arity), [sid, setJson, expiresAt, now, ...merged, maxBytes, ...merged, maxBytes]);
    // LAST_INSERT_ID(size) in the statement reports the merged size as the insert id; an insert
    // (no row yet) reports 0, and its size is that of `set`, already checked.
    const size = Number((result as { insertId?: number }).insertId ?? 0);
    if (size === UNMERGEABLE) throw new SessionEncodeError('the database could not merge this change into the stored session');
    if (size > maxBytes) throw new SessionTooLargeError(size, maxBytes);
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
    // VARBINARY comes back as a Buffer (a table from an older schema may still give a string).
    return rows.map((row) => String(Buffer.isBuffer(row['sid']) ? row['sid'].toString('utf8') : row['sid']));
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

  classify(err: unknown): ErrorKind {
    const { fatal, sqlState, errno, message } = (err ?? {}) as { fatal?: unknown; sqlState?: unknown; errno?: unknown; message?: unknown };
    // mysql2 marks an error fatal when the connection it happened on is gone.
    if (fatal === true) return 'unavailable';
    if (typeof sqlState === 'string' && typeof errno === 'number') {
      // A server error is classified by its number and SQLSTATE, never by its message, which can quote data.
      if (UNAVAILABLE_ERRNOS.has(errno) || sqlState.startsWith('08')) return DATA_ERRNOS.has(errno) ? 'data' : 'unavailable';
      // 22 data exception (ER_DATA_TOO_LONG, ER_TRUNCATED_WRONG_VALUE_FOR_FIELD, MySQL's
      // ER_INVALID_JSON_TEXT* and other JSON errors: 22032), 23 integrity constraint violation.
      if (sqlState.startsWith('22') || sqlState.startsWith('23') || DATA_ERRNOS.has(errno)) return 'data';
      return 'operation';
    }
    if (isConnectionError(err) || /pool is closed/i.test(String(message))) return 'unavailable';
    return 'operation';
  }

  watch(): () => void {
    // A mysql2 pool drops a connection that errors while idle by itself and emits nothing.
    return () => {};
  }

  end(): Promise<void> {
    return this.#pool.end();
  }

  /**
   * The `patch` statement for `arity` removed keys: the stored object minus every key the change
   * names (JSON_REMOVE), plus `set` (JSON_MERGE_PRESERVE, which copies values verbatim, nulls
   * included, as no key is in both; JSON_MERGE_PATCH would merge nested objects and drop nulls).
   * MariaDB stores JSON as text, so the result goes through JSON_COMPACT and is measured exactly;
   * MySQL stores binary JSON and has no JSON_COMPACT, so its text form (a space after each `:` and
   * `,`) is measured.
   *
   * MySQL evaluates the assignments left to right: `data` is assigned first and reports the merged
   * size through LAST_INSERT_ID(size); `expires_at` then reads it back, and sees the new `data`,
   * which is NULL only when the row was a live tombstone (left as it is). An oversized result
   * keeps the row unchanged.
   */
  #mergeStatement(arity: number): Promise<string> {
    let statement = this.#mergeStatements.get(arity);
    if (statement === undefined) {
      statement = this.#serverIsMariadb().then((mariadb) => {
        // An expired row, or one that holds no object (damaged), starts from {}. The inner IF keeps
        // JSON_TYPE away from text that is not JSON, which MariaDB's strict mode turns into an error.
        const base = `IF(expires_at > ? AND JSON_VALID(data), IF(JSON_TYPE(data) = 'OBJECT', data, '{}'), '{}')`;
        const kept = arity === 0 ? base : `JSON_REMOVE(${base}${', ?'.repeat(arity)})`;
        const merged = `JSON_MERGE_PRESERVE(${kept}, ?)`;
        const text = mariadb ? `JSON_COMPACT(${merged})` : `CAST(${merged} AS CHAR)`;
        // The merged text appears twice (measured, then assigned): MySQL cannot name it once inside
        // an assignment, and a derived table cannot see the row being updated.
        return `INSERT INTO ${this.#names.table} (sid, data, expires_at) VALUES (?, ?, ?)
       ON DUPLICATE KEY UPDATE
         data = IF(data IS NULL AND expires_at > ?, NULL, IF(LAST_INSERT_ID(IFNULL(OCTET_LENGTH(${text}), ${UNMERGEABLE})) > ?, data, ${text})),
         expires_at = IF(data IS NULL OR LAST_INSERT_ID() > ?, expires_at, VALUES(expires_at))`;
      });
      this.#mergeStatements.set(arity, statement);
      // asked again by the next patch, e.g. once the server is back
      statement.catch(() => this.#mergeStatements.delete(arity));
    }
    return statement;
  }

  async #serverIsMariadb(): Promise<boolean> {
    const rows = await this.#rows('SELECT VERSION() AS version', []);
    return /mariadb/i.test(String(rows[0]?.['version']));
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
