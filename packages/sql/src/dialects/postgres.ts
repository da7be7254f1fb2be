import { createHash } from 'node:crypto';
import { isConnectionError, SessionTooLargeError, type ErrorKind, type SessionChange } from '@sessionkit/core';
import type { SqlDialect } from '../dialect.js';
import { tableNames, type TableNames } from '../identifiers.js';
import { ESC, escapeJson, escapeKey, unescapeJson } from './nul-escape.js';

/** The part of a `pg` `Pool` (or `Client`) the store uses. */
export interface PgClient {
  query(config: {
    name?: string;
    text: string;
    values?: unknown[];
  }): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
  on(event: 'error', listener: (err: Error) => void): unknown;
  off(event: 'error', listener: (err: Error) => void): unknown;
  end(): Promise<void>;
}

/** `CREATE TABLE` / `CREATE INDEX` for PostgreSQL, as in `sql/postgres.sql`. */
export function postgresSchema(names: TableNames): string {
  return [
    `CREATE TABLE IF NOT EXISTS ${names.table} (sid varchar(256) COLLATE "C" PRIMARY KEY, data jsonb, expires_at bigint NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS ${names.index} ON ${names.table} (expires_at)`,
  ].join(';\n');
}

// A statement refuses an oversized session by failing on purpose: casting this marker plus the
// size to int raises 22P02, whose message quotes the text in every server language. The statement
// is then rolled back whole, so nothing was written.
const TOO_LARGE = 'sessionkit_too_large:';
const TOO_LARGE_MESSAGE = new RegExp(`${TOO_LARGE}(\\d+)`);

/**
 * SQL that fails the statement when the session text `t` (jsonb::text of the row just written) is
 * over `max` bytes, counted as compact JSON: jsonb's text puts a space after every `:` and `,`, and
 * the NUL escape doubles a user's U+FDD0. That text is never smaller than the compact form, so
 * only a text over the limit pays for the exact count (strings removed, then the spaces left are
 * the formatting ones; 3 bytes less per doubled U+FDD0).
 */
function refuseOver(max: string): string {
  const exact = `octet_length(t) - (length(c) - length(replace(c, ' ', ''))) - 3 * ((length(t) - length(replace(t, '${ESC}${ESC}', ''))) / 2)`;
  const strings = `$re$"(?:[^"\\\\]|\\\\.)*"$re$`;
  return `CASE WHEN octet_length(t) > ${max} THEN (
      SELECT CASE WHEN n > ${max} THEN ('${TOO_LARGE}' || n)::int END
      FROM (SELECT ${exact} AS n FROM (SELECT regexp_replace(t, ${strings}, '', 'g') AS c) strip) measured
    ) END AS refused`;
}

// Numbers in exponent form (1e300) are written out in full by jsonb's text form, so a session
// holding them can be larger in PostgreSQL than JSON.stringify counts; only such a `set` is measured.
const EXPONENT = /\d[eE]/;

/**
 * PostgreSQL through `pg`: `data jsonb`, `expires_at bigint` (epoch ms). Every statement is a
 * named prepared statement of fixed shape, prepared once per pooled connection. `patch` is one
 * `INSERT … ON CONFLICT DO UPDATE` (atomic per row) whose result is measured in the same statement.
 * U+0000 is stored escaped (see `nul-escape.ts`), because jsonb cannot hold it.
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
    const upsert = `INSERT INTO ${t} (sid, data, expires_at) VALUES ($1, $2::jsonb, $3)
        ON CONFLICT (sid) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at`;
    this.#sql = prepared({
      read: `SELECT data::text AS data FROM ${t} WHERE sid = $1 AND ${live} $2`,
      write: upsert,
      writeMeasured: `WITH up AS (${upsert} RETURNING data::text AS t) SELECT ${refuseOver('$4')} FROM up`,
      // jsonb `-` text[] drops the unset keys, `||` replaces top-level keys whole and keeps nulls.
      // An expired row, or one that holds no object (damaged), starts from {}. The merged row is
      // measured after the write; an oversized one fails the statement, which undoes the write.
      merge: `WITH up AS (
        INSERT INTO ${t} AS s (sid, data, expires_at) VALUES ($1, $2::jsonb, $3)
        ON CONFLICT (sid) DO UPDATE SET
          data = ((CASE WHEN s.expires_at > $4 AND jsonb_typeof(s.data) = 'object' THEN s.data ELSE '{}'::jsonb END) - $5::text[]) || EXCLUDED.data,
          expires_at = EXCLUDED.expires_at
        WHERE s.data IS NOT NULL OR s.expires_at <= $4
        RETURNING data::text AS t)
        SELECT ${refuseOver('$6')} FROM up`,
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
    const text = rows[0]?.['data'] as string | undefined;
    return text === undefined ? null : unescapeJson(text);
  }

  async write(sid: string, json: string, expiresAt: number, maxBytes: number): Promise<void> {
    const stored = escapeJson(json);
    if (!EXPONENT.test(json)) await this.#run('write', [sid, stored, expiresAt]);
    else await this.#measured(maxBytes, this.#run('writeMeasured', [sid, stored, expiresAt, maxBytes]));
  }

  async merge(sid: string, change: SessionChange, expiresAt: number, now: number, maxBytes: number): Promise<void> {
    const set = escapeJson(JSON.stringify(change.set));
    await this.#measured(
      maxBytes,
      this.#run('merge', [sid, set, expiresAt, now, change.unset.map(escapeKey), maxBytes]),
    );
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

  classify(err: unknown): ErrorKind {
    const code = serverCode(err);
    if (code === undefined) {
      if (isConnectionError(err) || /after calling end on the pool/i.test(String((err as Error)?.message)))
        return 'unavailable';
      return 'operation';
    }
    // A server error is classified by its SQLSTATE alone, never by its message, which can quote data.
    const kind = code.slice(0, 2);
    // 08 connection exception, 28 invalid authorization, 3D000 no such database, 53300 too many
    // connections, 57P0x server shutting down, 57014 statement_timeout.
    if (
      kind === '08' ||
      kind === '28' ||
      code === '3D000' ||
      code === '53300' ||
      code.startsWith('57P') ||
      code === '57014'
    ) {
      return 'unavailable';
    }
    // 22 data exception (e.g. 22P05 untranslatable character), 23 integrity constraint violation,
    // 54 program limit exceeded (e.g. a jsonb larger than it can hold).
    if (kind === '22' || kind === '23' || kind === '54') return 'data';
    return 'operation';
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

  /** Awaits a statement that ends in {@link refuseOver}, turning its refusal into SessionTooLargeError. */
  async #measured(maxBytes: number, work: Promise<unknown>): Promise<void> {
    try {
      await work;
    } catch (err) {
      const match = serverCode(err) === '22P02' ? TOO_LARGE_MESSAGE.exec((err as Error).message) : null;
      if (match) throw new SessionTooLargeError(Number(match[1]), maxBytes);
      throw err;
    }
  }
}

/** The SQLSTATE of an error the server sent (pg's DatabaseError), or `undefined` for a client-side error. */
function serverCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('severity' in err)) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

type Statement = 'read' | 'write' | 'writeMeasured' | 'merge' | 'extend' | 'tombstone' | 'ids' | 'count' | 'prune';

/** Names each statement after a hash of its text: a prepared-statement name must never be reused for other SQL. */
function prepared(texts: Record<Statement, string>): Record<Statement, { name: string; text: string }> {
  const named = (text: string) => ({
    name: `sessionkit_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`,
    text,
  });
  return Object.fromEntries(Object.entries(texts).map(([key, text]) => [key, named(text)])) as Record<
    Statement,
    { name: string; text: string }
  >;
}
