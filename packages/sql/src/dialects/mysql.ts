import { isSessionStoreError, type ErrorKind, type SessionChange } from '@sessionkit/core';
import type { Departed, MergeResult, PrincipalOfJson, PruneResult, SqlDialect, UnfiledRow } from '../dialect.js';
import { tableNames, type TableNames } from '../identifiers.js';
import { MergeQueue } from './merge-queue.js';
import { ALREADY_DONE, classifyMysqlError, RETRYABLE } from './mysql-errors.js';
import { MysqlPruner } from './mysql-prune.js';
import { mergeBatch, sha256 } from './mysql-merge.js';
import { mysqlSchema, mysqlUpgradeDdl, text, type MysqlRunner } from './mysql-table.js';

/** The part of a `mysql2/promise` pool the store uses (`mysql2.createPool(…).promise()` or `mysql2/promise`'s `createPool`). */
export interface MysqlPool {
  // `any[]`: mysql2 declares its own recursive value type, which `unknown[]` does not satisfy.
  // biome-ignore lint/suspicious/noExplicitAny: see above
  execute(sql: string, values?: any[]): Promise<[unknown, unknown]>;
  // biome-ignore lint/suspicious/noExplicitAny: see above
  query(sql: string, values?: any[]): Promise<[unknown, unknown]>;
  end(): Promise<void>;
}

/** Sessions of one user tombstoned per statement by `destroyByPrincipal`. */
const PAGE = 100;
/** Attempts of a statement that InnoDB rolled back for a deadlock (see `RETRYABLE`). */
const ATTEMPTS = 5;

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
  /** The pool's statements, for the pieces of this dialect that live in their own files. */
  readonly #run: MysqlRunner = {
    rows: (sql, values) => this.#rows(sql, values),
    execute: (sql, values) => this.#execute(sql, values),
  };
  readonly #pruner: MysqlPruner;
  readonly #queue = new MergeQueue(
    (sid, patches) => mergeBatch(this.#run, this.#names.table, sid, patches),
    (err) => isSessionStoreError(err, 'ERR_SESSION_TOO_LARGE') || this.classify(err) === 'data',
  );

  constructor(pool: MysqlPool, table: string, schema?: string) {
    this.#pool = pool;
    this.#names = tableNames(table, schema, '`');
    this.#pruner = new MysqlPruner(this.#run, this.#names.table);
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

  upgradeDdl(): Promise<string[]> {
    return mysqlUpgradeDdl(this.#names, this.#run.rows);
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

  pruneBatch(now: number, limit: number): Promise<PruneResult> {
    return this.#pruner.batch(now, limit);
  }

  classify(err: unknown): ErrorKind {
    return classifyMysqlError(err);
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
