import { createHash } from 'node:crypto';
import {
  byteLength,
  isConnectionError,
  isSessionStoreError,
  SessionTooLargeError,
  StoreOperationError,
  type ErrorKind,
  type SessionChange,
} from '@sessionkit/core';
import type { Departed, MergeResult, PrincipalOfJson, PruneResult, SqlDialect, UnfiledRow } from '../dialect.js';
import { tableNames, type TableNames } from '../identifiers.js';
import { MergeQueue, type PendingPatch } from './merge-queue.js';

/** The part of a `mysql2/promise` pool the store uses (`mysql2.createPool(…).promise()` or `mysql2/promise`'s `createPool`). */
export interface MysqlPool {
  // `any[]`: mysql2 declares its own recursive value type, which `unknown[]` does not satisfy.
  // biome-ignore lint/suspicious/noExplicitAny: see above
  execute(sql: string, values?: any[]): Promise<[unknown, unknown]>;
  // biome-ignore lint/suspicious/noExplicitAny: see above
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
  principal VARBINARY(256) NULL,
  INDEX ${names.index} (expires_at),
  INDEX ${names.principalIndex} (principal)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
}

/** The upgrade of a table made before the principal index, as in `sql/mysql.sql`. */
export function mysqlPrincipalDdl(names: TableNames, parts: { column: boolean; index: boolean }): string[] {
  const ddl: string[] = [];
  // VARBINARY: principal ids compare byte for byte, like sids; 256 bytes is the longest id.
  if (parts.column) ddl.push(`ALTER TABLE ${names.table} ADD COLUMN principal VARBINARY(256) NULL`);
  if (parts.index) ddl.push(`CREATE INDEX ${names.principalIndex} ON ${names.table} (principal)`);
  return ddl;
}

// Another instance ran the same upgrade first: 1060 duplicate column, 1061 duplicate key name.
const ALREADY_DONE = new Set([1060, 1061]);
// MySQL has no DELETE … RETURNING (MariaDB has): 1064 is its syntax error.
const PARSE_ERROR = 1064;
/** Sessions of one user tombstoned per statement by `destroyByPrincipal`. */
const PAGE = 100;

/** Deadlocks InnoDB may report when many upserts race on one new key; the statement was rolled back. */
const RETRYABLE = new Set(['ER_LOCK_DEADLOCK']);
const ATTEMPTS = 5;
/** How often `patch` reads and writes again when another write changed the row in between. */
const MERGE_ATTEMPTS = 100;

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
 * check on MariaDB), `expires_at BIGINT` (epoch ms). Every statement has one fixed shape, so
 * `execute` prepares at most eleven per connection, whatever the sessions hold. `patch` is an
 * optimistic read-merge-write (see `merge`), atomic per row: a write made in between is never lost.
 */
export class MysqlDialect implements SqlDialect {
  readonly name = 'mysql';
  readonly #pool: MysqlPool;
  readonly #names: TableNames;
  /** Whether the server takes `DELETE … RETURNING` (MariaDB); unknown until the first prune. */
  #returning: boolean | undefined;
  readonly #queue = new MergeQueue(
    (sid, patches) => this.#merge(sid, patches),
    (err) => isSessionStoreError(err, 'ERR_SESSION_TOO_LARGE') || this.classify(err) === 'data',
  );

  constructor(pool: MysqlPool, table: string, schema?: string) {
    this.#pool = pool;
    this.#names = tableNames(table, schema, '`');
  }

  async createTable(): Promise<void> {
    // CREATE TABLE IF NOT EXISTS holds a metadata lock, so instances starting together are safe.
    await this.#pool.query(mysqlSchema(this.#names));
    for (const ddl of await this.upgradeDdl()) {
      try {
        await this.#pool.query(ddl);
      } catch (err) {
        if (!ALREADY_DONE.has((err as { errno?: number }).errno ?? 0)) throw err;
      }
    }
  }

  async upgradeDdl(): Promise<string[]> {
    const schema = this.#names.schemaName === undefined ? 'DATABASE()' : '?';
    const values = this.#names.schemaName === undefined ? [] : [this.#names.schemaName];
    const rows = await this.#rows(
      `SELECT
         (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = ?) AS has_table,
         (SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = ? AND COLUMN_NAME = 'principal') AS has_column,
         (SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = ? AND INDEX_NAME = ?) AS has_index`,
      [
        ...values,
        this.#names.name,
        ...values,
        this.#names.name,
        ...values,
        this.#names.name,
        `${this.#names.name}_principal_idx`,
      ],
    );
    const row = rows[0] ?? {};
    if (Number(row['has_table']) === 0) return [];
    return mysqlPrincipalDdl(this.#names, {
      column: Number(row['has_column']) === 0,
      index: Number(row['has_index']) === 0,
    });
  }

  async read(sid: string, now: number): Promise<string | null> {
    // CAST: MySQL hands JSON columns to mysql2 already parsed; the codec decodes the text itself.
    const rows = await this.#rows(
      `SELECT CAST(data AS CHAR) AS data FROM ${this.#names.table} WHERE sid = ? AND data IS NOT NULL AND expires_at > ?`,
      [sid, now],
    );
    return (rows[0]?.['data'] as string | undefined) ?? null;
  }

  async write(
    sid: string,
    json: string,
    expiresAt: number,
    _maxBytes: number,
    principal: string | null,
  ): Promise<boolean> {
    const result = await this.#execute(
      `INSERT INTO ${this.#names.table} (sid, data, expires_at, principal) VALUES (?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE data = VALUES(data), expires_at = VALUES(expires_at), principal = VALUES(principal)`,
      [sid, json, expiresAt, principal],
    );
    // affectedRows: 1 for an insert, 2 for an update, 0 for an update that changed nothing.
    return (result as { affectedRows?: number }).affectedRows === 1;
  }

  /**
   * Read, merge here, write only if the row is still what was read (its expiry and the SHA-256 of
   * its text), else read again. MariaDB's JSON functions cost time in proportion to keys times
   * document size (a 2000-key change of a large session took seconds, long enough to time out and
   * look like an outage), and JSON_MERGE_PATCH would merge nested objects and drop nulls; here the
   * merge costs one parse and one stringify, the size is exact, and every statement has one fixed
   * shape. Patches of one sid from this process are queued and written in batches (`MergeQueue`),
   * so they never race each other; only a write from another process makes a patch read again.
   */
  merge(
    sid: string,
    change: SessionChange,
    expiresAt: number,
    now: number,
    maxBytes: number,
    principalOf: PrincipalOfJson,
    _decided?: unknown,
  ): Promise<MergeResult | null> {
    return this.#queue.merge(sid, { change, expiresAt, now, maxBytes, principalOf });
  }

  /** Merges a batch and files the principal of the merged text in the same statement. */
  async #merge(sid: string, patches: PendingPatch[]): Promise<MergeResult | null> {
    const t = this.#names.table;
    const last = patches[patches.length - 1] as PendingPatch;
    const { expiresAt, now, maxBytes, principalOf } = last;
    const changes = patches.map((patch) => patch.change);
    for (let attempt = 1; ; attempt++) {
      const [row] = await this.#rows(
        `SELECT CAST(data AS CHAR CHARACTER SET utf8mb4) AS data, expires_at FROM ${t} WHERE sid = ?`,
        [sid],
      );
      if (row === undefined) {
        const json = measured(mergedJson(null, changes), maxBytes);
        const principal = principalOf(json);
        try {
          await this.#execute(`INSERT INTO ${t} (sid, data, expires_at, principal) VALUES (?, ?, ?, ?)`, [
            sid,
            json,
            expiresAt,
            principal,
          ]);
          return { created: true, principal };
        } catch (err) {
          if ((err as { code?: unknown }).code !== 'ER_DUP_ENTRY' || attempt >= MERGE_ATTEMPTS) throw err;
          continue; // another process created it first: merge into that
        }
      }
      const stored = row['data'] as string | null;
      const storedExpiry = Number(row['expires_at']);
      if (stored === null && storedExpiry > now) return null; // a live tombstone stays as it is
      const json = measured(mergedJson(storedExpiry > now ? stored : null, changes), maxBytes);
      const principal = principalOf(json);
      const result = await this.#execute(
        `UPDATE ${t} SET data = ?, expires_at = ?, principal = ?
         WHERE sid = ? AND expires_at = ? AND SHA2(CAST(data AS CHAR CHARACTER SET utf8mb4), 256) <=> ?`,
        [json, expiresAt, principal, sid, storedExpiry, stored === null ? null : sha256(stored)],
      );
      if (matchedRows(result) > 0) return { created: false, principal };
      if (attempt >= MERGE_ATTEMPTS)
        throw new StoreOperationError(
          `the session was changed by ${MERGE_ATTEMPTS} other writes while this patch was merged`,
        );
      // Lost a race with another process's write of this session: back off a little, so racers spread out.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 10)));
    }
  }

  async extend(sid: string, expiresAt: number, now: number): Promise<void> {
    await this.#execute(
      `UPDATE ${this.#names.table} SET expires_at = ? WHERE sid = ? AND data IS NOT NULL AND expires_at > ?`,
      [expiresAt, sid, now],
    );
  }

  /**
   * A live session is tombstoned by a conditional UPDATE, whose row count says whether this call
   * ended it (of two concurrent destroys, one); its principal is read just before. Otherwise an
   * upsert leaves the tombstone.
   */
  async remove(sid: string, until: number, now: number): Promise<Departed | null> {
    const t = this.#names.table;
    const [row] = await this.#rows(`SELECT principal FROM ${t} WHERE sid = ? AND data IS NOT NULL AND expires_at > ?`, [
      sid,
      now,
    ]);
    if (row !== undefined) {
      const result = await this.#execute(
        `UPDATE ${t} SET data = NULL, expires_at = ?, principal = NULL WHERE sid = ? AND data IS NOT NULL AND expires_at > ?`,
        [until, sid, now],
      );
      if ((result as { affectedRows: number }).affectedRows > 0) return { sid, principal: text(row['principal']) };
    }
    await this.#execute(
      `INSERT INTO ${t} (sid, data, expires_at, principal) VALUES (?, NULL, ?, NULL)
       ON DUPLICATE KEY UPDATE data = NULL, expires_at = VALUES(expires_at), principal = NULL`,
      [sid, until],
    );
    return null;
  }

  /**
   * Tombstones the user's live sessions a page at a time: one UPDATE per page of sids (a fixed
   * shape: the list is padded to {@link PAGE}), whose row count says whether every sid of the page
   * was ended by this call; when not (another call ended or changed some in between), the ones
   * that carry this call's tombstone expiry are the ones it ended.
   */
  async removeByPrincipal(principal: string, until: number, now: number): Promise<string[]> {
    const t = this.#names.table;
    const ended: string[] = [];
    const list = Array.from({ length: PAGE }, () => '?').join(', ');
    for (let after = ''; ; ) {
      const sids = await this.principalIds(principal, after, now, PAGE);
      if (sids.length === 0) return ended;
      const padded = Array.from({ length: PAGE }, (_, i) => sids[i] ?? sids[0]);
      const result = await this.#execute(
        `UPDATE ${t} SET data = NULL, expires_at = ?, principal = NULL WHERE sid IN (${list}) AND principal = ? AND data IS NOT NULL AND expires_at > ?`,
        [until, ...padded, principal, now],
      );
      if ((result as { affectedRows: number }).affectedRows === sids.length) ended.push(...sids);
      else {
        const rows = await this.#rows(
          `SELECT sid FROM ${t} WHERE sid IN (${list}) AND data IS NULL AND expires_at = ?`,
          [...padded, until],
        );
        ended.push(...rows.map((row) => text(row['sid']) as string));
      }
      if (sids.length < PAGE) return ended;
      after = sids[sids.length - 1] as string;
    }
  }

  async principalIds(principal: string, after: string, now: number, limit: number): Promise<string[]> {
    const rows = await this.#rows(
      `SELECT sid FROM ${this.#names.table} WHERE principal = ? AND sid > ? AND data IS NOT NULL AND expires_at > ? ORDER BY sid LIMIT ${Math.trunc(limit)}`,
      [principal, after, now],
    );
    return rows.map((row) => text(row['sid']) as string);
  }

  async unfiledAfter(after: string, now: number, limit: number): Promise<UnfiledRow[]> {
    const rows = await this.#rows(
      `SELECT sid, CAST(data AS CHAR CHARACTER SET utf8mb4) AS data FROM ${this.#names.table}
       WHERE principal IS NULL AND sid > ? AND data IS NOT NULL AND expires_at > ? ORDER BY sid LIMIT ${Math.trunc(limit)}`,
      [after, now],
    );
    return rows.map((row) => ({
      sid: text(row['sid']) as string,
      json: row['data'] as string,
      token: sha256(row['data'] as string),
    }));
  }

  async fillPrincipal(row: UnfiledRow, principal: string): Promise<void> {
    await this.#execute(
      `UPDATE ${this.#names.table} SET principal = ? WHERE sid = ? AND principal IS NULL AND SHA2(CAST(data AS CHAR CHARACTER SET utf8mb4), 256) = ?`,
      [principal, row.sid, row.token],
    );
  }

  async scanIds(after: string, now: number, limit: number): Promise<string[]> {
    // LIMIT is an integer the store chose; prepared LIMIT parameters are refused by some servers.
    const rows = await this.#rows(
      `SELECT sid FROM ${this.#names.table} WHERE sid > ? AND data IS NOT NULL AND expires_at > ? ORDER BY sid LIMIT ${Math.trunc(limit)}`,
      [after, now],
    );
    return rows.map((row) => text(row['sid']) as string);
  }

  async count(now: number): Promise<number> {
    const rows = await this.#rows(
      `SELECT COUNT(*) AS n FROM ${this.#names.table} WHERE data IS NOT NULL AND expires_at > ?`,
      [now],
    );
    return Number(rows[0]?.['n']);
  }

  async removeAll(): Promise<void> {
    await this.#execute(`DELETE FROM ${this.#names.table}`, []);
  }

  /**
   * MariaDB: one `DELETE … RETURNING`, so each row is reported by the statement that deleted it.
   * MySQL (no RETURNING): the expired rows are read, then deleted one by one with the expiry
   * checked again, so a session is reported only by the deleter whose DELETE removed it.
   */
  async pruneBatch(now: number, limit: number): Promise<PruneResult> {
    const t = this.#names.table;
    const n = Math.trunc(limit);
    if (this.#returning !== false) {
      try {
        const rows = await this.#rows(
          `DELETE FROM ${t} WHERE expires_at <= ? LIMIT ${n} RETURNING sid, principal, data IS NOT NULL AS held`,
          [now],
        );
        this.#returning = true;
        return {
          deleted: rows.length,
          expired: rows.filter((row) => Number(row['held']) === 1).map(departed),
          more: rows.length === n,
        };
      } catch (err) {
        if (this.#returning === true || (err as { errno?: number }).errno !== PARSE_ERROR) throw err;
        this.#returning = false;
      }
    }
    const rows = await this.#rows(
      `SELECT sid, principal, data IS NOT NULL AS held FROM ${t} WHERE expires_at <= ? LIMIT ${n}`,
      [now],
    );
    const expired: Departed[] = [];
    let deleted = 0;
    for (const row of rows) {
      const result = await this.#execute(`DELETE FROM ${t} WHERE sid = ? AND expires_at <= ?`, [row['sid'], now]);
      if ((result as { affectedRows: number }).affectedRows === 0) continue;
      deleted++;
      if (Number(row['held']) === 1) expired.push(departed(row));
    }
    return { deleted, expired, more: rows.length === n };
  }

  classify(err: unknown): ErrorKind {
    const { fatal, sqlState, errno, message } = (err ?? {}) as {
      fatal?: unknown;
      sqlState?: unknown;
      errno?: unknown;
      message?: unknown;
    };
    // mysql2 marks an error fatal when the connection it happened on is gone.
    if (fatal === true) return 'unavailable';
    if (typeof sqlState === 'string' && typeof errno === 'number') {
      // A server error is classified by its number and SQLSTATE, never by its message, which can quote data.
      if (UNAVAILABLE_ERRNOS.has(errno) || sqlState.startsWith('08'))
        return DATA_ERRNOS.has(errno) ? 'data' : 'unavailable';
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

  release(): Promise<void> {
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

/**
 * The session text after `changes`, in order: `stored` (JSON text, or null) parsed when it holds an
 * object, else `{}` (expired, tombstone, damaged), top-level keys replaced whole or removed.
 */
function mergedJson(stored: string | null, changes: SessionChange[]): string {
  let session: Record<string, unknown> = {};
  if (stored !== null) {
    try {
      const value: unknown = JSON.parse(stored);
      if (typeof value === 'object' && value !== null && !Array.isArray(value))
        session = value as Record<string, unknown>;
    } catch {
      // damaged: start from {}
    }
  }
  // JSON.parse makes a `__proto__` key an own property, so these never touch a prototype.
  for (const change of changes) {
    for (const key of change.unset) delete session[key];
    for (const [key, value] of Object.entries(change.set)) session[key] = value;
  }
  return JSON.stringify(session);
}

/** A VARBINARY value (a Buffer; a table from an older schema may still give a string) as text. */
function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

function departed(row: Record<string, unknown>): Departed {
  return { sid: text(row['sid']) as string, principal: text(row['principal']) };
}

/** `json` when it is at most `maxBytes` of UTF-8. @throws SessionTooLargeError otherwise. */
function measured(json: string, maxBytes: number): string {
  const bytes = byteLength(json);
  if (bytes > maxBytes) throw new SessionTooLargeError(bytes, maxBytes);
  return json;
}

/** Hex SHA-256 of the UTF-8 text, as `SHA2(text, 256)` gives it. */
function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Rows an UPDATE matched (changed or not): from its info text, which does not depend on the FOUND_ROWS flag. */
function matchedRows(result: unknown): number {
  const { info, affectedRows } = result as { info?: string; affectedRows?: number };
  const matched = /Rows matched:\s*(\d+)/.exec(info ?? '');
  return matched ? Number(matched[1]) : (affectedRows ?? 0);
}
