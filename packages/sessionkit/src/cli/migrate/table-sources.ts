import { decodeSession, isValidSessionId, loadOptionalDriver, queryOptions, redactUrl } from '@sessionkit/core';
import { CliError, EXIT } from '../exit-codes.js';
import type { MigrationSource, SourceBatch, SourceRow } from './source.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

interface PgPool {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
}
interface MysqlPool {
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>;
  end(): Promise<void>;
}

/** One row as a table source reads it: sid, JSON text, expiry in epoch ms. */
interface RawRow {
  sid: string;
  text: string | null;
  expiresAt: number;
}

/**
 * A session table read in sid order with keyset pages (`WHERE sid > cursor ORDER BY sid LIMIT n`),
 * so a walk is resumable and each page costs one indexed query. Only unexpired rows are read.
 */
abstract class TableSource implements MigrationSource {
  abstract readonly description: string;
  abstract count(): Promise<number>;
  abstract close(): Promise<void>;
  protected abstract page(after: string, limit: number): Promise<RawRow[]>;

  async *batches(cursor: string | undefined, size: number): AsyncGenerator<SourceBatch> {
    let after = cursor ?? '';
    for (;;) {
      const raw = await this.page(after, size);
      if (raw.length === 0) return;
      after = raw[raw.length - 1]?.sid as string;
      yield { rows: raw.map(toRow), cursor: after };
      if (raw.length < size) return;
    }
  }
}

function toRow({ sid, text, expiresAt }: RawRow): SourceRow {
  if (!isValidSessionId(sid)) return { sid, data: null, expiresAt, problem: 'the sid is not one sessionkit accepts' };
  if (text === null) return { sid, data: null, expiresAt, problem: 'the data column is NULL' };
  try {
    return { sid, data: decodeSession(sid, text), expiresAt };
  } catch (err) {
    return { sid, data: null, expiresAt, problem: (err as Error).message };
  }
}

function tableParams(url: URL, defaults: { table: string }): { table: string; schema: string | undefined } {
  const { table = defaults.table, schema } = queryOptions(
    url,
    { table: 'string', schema: 'string' },
    { what: 'a table source' },
  );
  for (const [name, value] of [
    ['table', table],
    ['schema', schema],
  ] as const) {
    if (value !== undefined && !IDENTIFIER.test(value))
      throw new CliError(`${name} ${JSON.stringify(value)} must be letters, digits and _ (at most 63)`, EXIT.usage);
  }
  url.search = '';
  return { table, schema };
}

/**
 * connect-pg-simple's table (`sid`, `sess` json, `expire` timestamp; default `session`). URL:
 * `connect-pg-simple+postgres://user:password@host:5432/db?table=session&schema=public`. The
 * expiry is `expire` read in the connection's TimeZone (as connect-pg-simple wrote it), floored to ms.
 */
export class ConnectPgSimpleSource extends TableSource {
  readonly description: string;
  readonly #pool: PgPool;
  readonly #table: string;

  constructor(url: string, timeoutMs: number) {
    super();
    const parsed = new URL(url.replace(/^connect-pg-simple\+/i, ''));
    const { table, schema } = tableParams(parsed, { table: 'session' });
    this.#table = schema ? `"${schema}"."${table}"` : `"${table}"`;
    this.description = `connect-pg-simple table ${this.#table} on ${redactUrl(parsed.href)}`;
    const { Pool } = loadOptionalDriver<{ Pool: new (config: object) => PgPool }>('pg', 'a connect-pg-simple source', {
      from: import.meta.url,
    });
    this.#pool = new Pool({ connectionString: parsed.href, connectionTimeoutMillis: timeoutMs, max: 2 });
    this.#pool.on('error', () => {});
  }

  async count(): Promise<number> {
    const { rows } = await this.#pool.query(
      `SELECT count(*) AS n FROM ${this.#table} WHERE expire::timestamptz > now()`,
    );
    return Number(rows[0]?.['n'] ?? 0);
  }

  protected async page(after: string, limit: number): Promise<RawRow[]> {
    const { rows } = await this.#pool.query(
      `SELECT sid, sess::text AS sess, floor(extract(epoch FROM expire::timestamptz) * 1000)::bigint AS expires_at
       FROM ${this.#table} WHERE sid > $1 AND expire::timestamptz > now() ORDER BY sid LIMIT $2`,
      [after, limit],
    );
    return rows.map((row) => ({
      sid: String(row['sid']),
      text: (row['sess'] as string | null) ?? null,
      expiresAt: Number(row['expires_at']),
    }));
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/**
 * express-mysql-session's table (`session_id`, `expires` seconds, `data` text; default
 * `sessions`). URL: `express-mysql-session+mysql://user:password@host:3306/db?table=sessions`.
 */
export class ExpressMysqlSessionSource extends TableSource {
  readonly description: string;
  readonly #pool: MysqlPool;
  readonly #table: string;

  constructor(url: string, timeoutMs: number) {
    super();
    const parsed = new URL(url.replace(/^express-mysql-session\+/i, '').replace(/^mariadb:/i, 'mysql:'));
    const { table, schema } = tableParams(parsed, { table: 'sessions' });
    this.#table = schema ? `\`${schema}\`.\`${table}\`` : `\`${table}\``;
    this.description = `express-mysql-session table ${this.#table} on ${redactUrl(parsed.href)}`;
    const { createPool } = loadOptionalDriver<{ createPool(config: object): MysqlPool }>(
      'mysql2/promise',
      'an express-mysql-session source',
      {
        from: import.meta.url,
      },
    );
    this.#pool = createPool({ uri: parsed.href, connectTimeout: timeoutMs, connectionLimit: 2 });
  }

  async count(): Promise<number> {
    const [rows] = await this.#pool.query(`SELECT count(*) AS n FROM ${this.#table} WHERE expires > ?`, [
      Math.floor(Date.now() / 1000),
    ]);
    return Number((rows as { n: number }[])[0]?.n ?? 0);
  }

  protected async page(after: string, limit: number): Promise<RawRow[]> {
    const [rows] = await this.#pool.query(
      `SELECT session_id, data, expires FROM ${this.#table} WHERE session_id > ? AND expires > ? ORDER BY session_id LIMIT ?`,
      [after, Math.floor(Date.now() / 1000), limit],
    );
    return (rows as { session_id: string; data: string | null; expires: number }[]).map((row) => ({
      sid: String(row.session_id),
      text: row.data === null ? null : String(row.data),
      expiresAt: Number(row.expires) * 1000,
    }));
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
