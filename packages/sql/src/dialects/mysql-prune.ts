import type { Departed, PruneResult } from '../dialect.js';
import { PARSE_ERROR } from './mysql-errors.js';
import { text, type MysqlRunner } from './mysql-table.js';

/** `MysqlDialect.pruneBatch`, which learns on its first batch whether the server takes `RETURNING`. */
export class MysqlPruner {
  readonly #run: MysqlRunner;
  readonly #table: string;
  /** Whether the server takes `DELETE … RETURNING` (MariaDB); unknown until the first prune. */
  #returning: boolean | undefined;

  /** @param table the quoted table name. */
  constructor(run: MysqlRunner, table: string) {
    this.#run = run;
    this.#table = table;
  }

  /**
   * MariaDB: one `DELETE … RETURNING`, so each row is reported by the statement that deleted it.
   * MySQL (no RETURNING): the expired rows are read, then deleted one by one with the expiry
   * checked again, so a session is reported only by the deleter whose DELETE removed it.
   */
  async batch(now: number, limit: number): Promise<PruneResult> {
    const t = this.#table;
    const n = Math.trunc(limit);
    if (this.#returning !== false) {
      try {
        const rows = await this.#run.rows(
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
    const rows = await this.#run.rows(
      `SELECT sid, principal, data IS NOT NULL AS held FROM ${t} WHERE expires_at <= ? LIMIT ${n}`,
      [now],
    );
    const expired: Departed[] = [];
    let deleted = 0;
    for (const row of rows) {
      const result = await this.#run.execute(`DELETE FROM ${t} WHERE sid = ? AND expires_at <= ?`, [row['sid'], now]);
      if ((result as { affectedRows: number }).affectedRows === 0) continue;
      deleted++;
      if (Number(row['held']) === 1) expired.push(departed(row));
    }
    return { deleted, expired, more: rows.length === n };
  }
}

function departed(row: Record<string, unknown>): Departed {
  return { sid: text(row['sid']) as string, principal: text(row['principal']) };
}
