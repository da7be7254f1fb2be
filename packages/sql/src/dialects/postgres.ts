import { createHash } from 'node:crypto';
import type { SessionChange } from '@sessionkit/core';
import type { SqlDialect } from '../dialect.js';
import { tableNames, type TableNames } from '../identifiers.js';

/** The part of a `pg` `Pool` (or `Client`) the store uses. */
export interface PgClient {
  query(config: { name?: string; text: string; values?: unknown[] }): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
  on(event: 'error', listener: (err: Error) => void): unknown;
  off(event: 'error', listener: (err: Error) => void): unknown;
  end(): Promise<void>;
}

/** `CREATE TABLE` / `CREATE INDEX` for PostgreSQL, as in `sql/postgres.sql`. */
export function postgresSchema(names: TableNames): string {
  return [
    `CREATE TABLE IF NOT EXISTS ${names.table} (sid varchar(160) COLLATE "C" PRIMARY KEY, data jsonb, expires_at bigint NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS ${names.index} ON ${names.table} (expires_at)`,
  ].join(';\n');
}

/**
 * PostgreSQL through `pg`: `data jsonb`, `expires_at bigint` (epoch ms). Every statement is a
 * named prepared statement, prepared once per pooled connection. `patch` is one
 * `INSERT … ON CONFLICT DO UPDATE`, which PostgreSQL applies atomically per row.
 */
export class PostgresDialect implements SqlDialect {
  readonly name = 'postgres';
  readonly #client: PgClient;
  readonly #names: TableNames;
  readonly #sql: Record<Statement, { name: string; text: string }>;

  constructor(client: PgClient, table: string, schema?: string) {
    this.#client = client;
    const names = (this.#names = tableNames(table, schema, '"'));
    const t = names.table;
    const live = 'data IS NOT NULL AND expires_at >';
    this.#sql = prepared({
      read: `SELECT data::text AS data FROM ${t} WHERE sid = $1 AND ${live} $2`,
      write: `INSERT INTO ${t} (sid, data, expires_at) VALUES ($1, $2::jsonb, $3)
        ON CONFLICT (sid) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at`,
      // jsonb `-` text[] drops the unset keys, `||` replaces top-level keys whole and keeps nulls.
      // An expired row, or one that holds no object (damaged), starts from {}.
      merge: `INSERT INTO ${t} AS s (sid, data, expires_at) VALUES ($1, $2::jsonb, $3)
        ON CONFLICT (sid) DO UPDATE SET
          data = ((CASE WHEN s.expires_at > $4 AND jsonb_typeof(s.data) = 'object' THEN s.data ELSE '{}'::jsonb END) - $5::text[]) || EXCLUDED.data,
          expires_at = EXCLUDED.expires_at
        WHERE s.data IS NOT NULL OR s.expires_at <= $4`,
      extend: `UPDATE ${t} SET expires_at = $1 WHERE sid = $2 AND ${live} $3`,
      tombstone: `INSERT INTO ${t} (sid, data, expires_at) VALUES ($1, NULL, $2)
        ON CONFLICT (sid) DO UPDATE SET data = NULL, expires_at = EXCLUDED.expires_at`,
      ids: `SELECT sid FROM ${t} WHERE sid > $1 AND ${live} $2 ORDER BY sid LIMIT $3`,
      count: `SELECT count(*)::int AS n FROM ${t} WHERE ${live} $1`,
      // SKIP LOCKED: instances pruning at the same moment take different rows instead of waiting.
      prune: `DELETE FROM ${t} WHERE expires_at <= $1 AND sid IN
        (SELECT sid FROM ${t} WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    });
  }

  async createTable(): Promise<void> {
    // One simple-protocol query runs as one transaction: the advisory lock serialises instances
    // that start together (concurrent CREATE TABLE IF NOT EXISTS can otherwise fail on pg_type).
    const lock = `SELECT pg_advisory_xact_lock(hashtext('sessionkit:${this.#names.plain}'))`;
    await this.#client.query({ text: `${lock};\n${postgresSchema(this.#names)}` });
  }

  async read(sid: string, now: number): Promise<string | null> {
    const { rows } = await this.#run('read', [sid, now]);
    return (rows[0]?.['data'] as string | undefined) ?? null;
  }

  async write(sid: string, json: string, expiresAt: number): Promise<void> {
    await this.#run('write', [sid, json, expiresAt]);
  }

  async merge(sid: string, change: SessionChange, setJson: string, expiresAt: number, now: number): Promise<void> {
    await this.#run('merge', [sid, setJson, expiresAt, now, change.unset]);
  }

  async extend(sid: string, expiresAt: number, now: number): Promise<void> {
    await this.#run('extend', [expiresAt, sid, now]);
  }

  async tombstone(sid: string, until: number): Promise<void> {
    await this.#run('tombstone', [sid, until]);
  }

  async idsAfter(after: string, now: number, limit: number): Promise<string[]> {
    const { rows } = await this.#run('ids', [after, now, limit]);
    return rows.map((row) => row['sid'] as string);
  }

  async count(now: number): Promise<number> {
    const { rows } = await this.#run('count', [now]);
    return rows[0]?.['n'] as number;
  }

  async removeAll(): Promise<void> {
    await this.#client.query({ text: `DELETE FROM ${this.#names.table}` });
  }

  async pruneBatch(now: number, limit: number): Promise<number> {
    return (await this.#run('prune', [now, limit])).rowCount ?? 0;
  }

  watch(onError: (err: Error) => void): () => void {
    this.#client.on('error', onError);
    return () => void this.#client.off('error', onError);
  }

  end(): Promise<void> {
    return this.#client.end();
  }

  #run(statement: Statement, values: unknown[]) {
    return this.#client.query({ ...this.#sql[statement], values });
  }
}

type Statement = 'read' | 'write' | 'merge' | 'extend' | 'tombstone' | 'ids' | 'count' | 'prune';

/** Names each statement after a hash of its text: a prepared-statement name must never be reused for other SQL. */
function prepared(texts: Record<Statement, string>): Record<Statement, { name: string; text: string }> {
  const named = (text: string) => ({ name: `sessionkit_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text });
  return Object.fromEntries(Object.entries(texts).map(([key, text]) => [key, named(text)])) as Record<Statement, { name: string; text: string }>;
}
