import { createHash } from 'node:crypto';
import { isConnectionError, SessionTooLargeError, type ErrorKind, type SessionChange } from '@sessionkit/core';
import type {
  DecidedPrincipal,
  Departed,
  MergeResult,
  PrincipalOfJson,
  PruneResult,
  SqlDialect,
  UnfiledRow,
} from '../dialect.js';
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
    `CREATE TABLE IF NOT EXISTS ${names.table} (sid varchar(256) COLLATE "C" PRIMARY KEY, data jsonb, expires_at bigint NOT NULL, principal text COLLATE "C")`,
    `CREATE INDEX IF NOT EXISTS ${names.index} ON ${names.table} (expires_at)`,
  ].join(';\n');
}

/** The upgrade of a table made before the principal index (idempotent statements), as in `sql/postgres.sql`. */
export function postgresPrincipalDdl(names: TableNames, parts: { column: boolean; index: boolean }): string[] {
  const ddl: string[] = [];
  if (parts.column) ddl.push(`ALTER TABLE ${names.table} ADD COLUMN IF NOT EXISTS principal text COLLATE "C"`);
  // Partial: anonymous sessions (most rows, often) cost the index nothing.
  if (parts.index)
    ddl.push(
      `CREATE INDEX IF NOT EXISTS ${names.principalIndex} ON ${names.table} (principal) WHERE principal IS NOT NULL`,
    );
  return ddl;
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
    // (xmax = 0): the row version was inserted, not updated (an update locks the old one, setting xmax).
    const upsert = `INSERT INTO ${t} (sid, data, expires_at, principal) VALUES ($1, $2::jsonb, $3, $5)
        ON CONFLICT (sid) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at, principal = EXCLUDED.principal
        RETURNING (xmax = 0) AS created`;
    this.#sql = prepared({
      read: `SELECT data::text AS data FROM ${t} WHERE sid = $1 AND ${live} $2`,
      write: upsert.replace('$5', '$4'),
      writeMeasured: `WITH up AS (${upsert}, data::text AS t) SELECT created, ${refuseOver('$4')} FROM up`,
      // jsonb `-` text[] drops the unset keys, `||` replaces top-level keys whole and keeps nulls.
      // An expired row, or one that holds no object (damaged), starts from {}. The merged row is
      // measured after the write; an oversized one fails the statement, which undoes the write.
      // The merged text, the principal filed and a hash of the text come back, so the store can
      // file the principal of exactly this text (see `merge`).
      // $7: the change alone decides the principal ($8), which is then filed here too.
      merge: `WITH up AS (
        INSERT INTO ${t} AS s (sid, data, expires_at, principal) VALUES ($1, $2::jsonb, $3, CASE WHEN $7::boolean THEN $8::text END)
        ON CONFLICT (sid) DO UPDATE SET
          data = ((CASE WHEN s.expires_at > $4 AND jsonb_typeof(s.data) = 'object' THEN s.data ELSE '{}'::jsonb END) - $5::text[]) || EXCLUDED.data,
          expires_at = EXCLUDED.expires_at,
          principal = CASE WHEN $7::boolean THEN $8::text ELSE s.principal END
        WHERE s.data IS NOT NULL OR s.expires_at <= $4
        RETURNING data::text AS t, principal, md5(data::text) AS version, (xmax = 0) AS created)
        SELECT t, principal, version, created, ${refuseOver('$6')} FROM up`,
      // Only while the row holds the text the principal was computed from (a touch in between
      // changes nothing that matters; the same text always has the same principal).
      file: `UPDATE ${t} SET principal = $1 WHERE sid = $2 AND md5(data::text) = $3`,
      extend: `UPDATE ${t} SET expires_at = $1 WHERE sid = $2 AND ${live} $3`,
      // The old row is read under a row lock in the same statement, so of two concurrent destroys
      // only one sees a live session.
      tombstone: `WITH old AS (SELECT principal, ${live} $3 AS was_live FROM ${t} WHERE sid = $1 FOR UPDATE),
        up AS (INSERT INTO ${t} (sid, data, expires_at, principal) VALUES ($1, NULL, $2, NULL)
          ON CONFLICT (sid) DO UPDATE SET data = NULL, expires_at = EXCLUDED.expires_at, principal = NULL)
        SELECT principal, was_live FROM old`,
      tombstonePrincipal: `UPDATE ${t} SET data = NULL, expires_at = $2, principal = NULL
        WHERE principal = $1 AND ${live} $3 RETURNING sid`,
      ids: `SELECT sid FROM ${t} WHERE sid > $1 AND ${live} $2 ORDER BY sid LIMIT $3`,
      principalIds: `SELECT sid FROM ${t} WHERE principal = $1 AND sid > $2 AND ${live} $3 ORDER BY sid LIMIT $4`,
      count: `SELECT count(*)::int AS n FROM ${t} WHERE ${live} $1`,
      // SKIP LOCKED: instances pruning at the same moment take different rows instead of waiting,
      // so each expired session is reported by the one instance that deleted it.
      prune: `DELETE FROM ${t} WHERE expires_at <= $1 AND sid IN
        (SELECT sid FROM ${t} WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING sid, principal, data IS NOT NULL AS held`,
      unfiled: `SELECT sid, data::text AS t, md5(data::text) AS version FROM ${t}
        WHERE principal IS NULL AND sid > $1 AND ${live} $2 ORDER BY sid LIMIT $3`,
      fill: `UPDATE ${t} SET principal = $1 WHERE sid = $2 AND principal IS NULL AND md5(data::text) = $3`,
    });
  }

  async createTable(): Promise<void> {
    // One simple-protocol query runs as one transaction: the advisory lock serialises instances
    // that start together (concurrent CREATE TABLE IF NOT EXISTS can otherwise fail on pg_type).
    const lock = `SELECT pg_advisory_xact_lock(hashtext('sessionkit:${this.#names.plain}'))`;
    await this.#client.query({ text: `${lock};\n${postgresSchema(this.#names)}` });
    // An older table gets the principal column and index. Read from the catalog first: ALTER TABLE
    // takes an exclusive lock even when it has nothing to do.
    const upgrade = await this.upgradeDdl();
    if (upgrade.length) await this.#client.query({ text: [lock, ...upgrade].join(';\n') });
  }

  async upgradeDdl(): Promise<string[]> {
    const schema = this.#names.schemaName === undefined ? 'current_schema()' : '$2';
    const values =
      this.#names.schemaName === undefined ? [this.#names.name] : [this.#names.name, this.#names.schemaName];
    const { rows } = await this.#client.query({
      text: `SELECT
          EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = ${schema} AND table_name = $1) AS has_table,
          EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = ${schema} AND table_name = $1 AND column_name = 'principal') AS has_column,
          EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = ${schema} AND tablename = $1 AND indexname = $1 || '_principal_idx') AS has_index`,
      values,
    });
    const row = rows[0] as { has_table: boolean; has_column: boolean; has_index: boolean };
    if (!row.has_table) return [];
    return postgresPrincipalDdl(this.#names, { column: !row.has_column, index: !row.has_index });
  }

  async read(sid: string, now: number): Promise<string | null> {
    const { rows } = await this.#run('read', [sid, now]);
    const text = rows[0]?.['data'] as string | undefined;
    return text === undefined ? null : unescapeJson(text);
  }

  async write(
    sid: string,
    json: string,
    expiresAt: number,
    maxBytes: number,
    principal: string | null,
  ): Promise<boolean> {
    const stored = escapeJson(json);
    const work = EXPONENT.test(json)
      ? this.#measured(maxBytes, this.#run('writeMeasured', [sid, stored, expiresAt, maxBytes, principal]))
      : this.#run('write', [sid, stored, expiresAt, principal]);
    const { rows } = await work;
    return rows[0]?.['created'] === true;
  }

  /**
   * When the change alone decides the principal (a login through `passport`), the upsert files it
   * with the data: one statement. Otherwise the upsert merges the change and returns the merged
   * text with the principal filed and a hash of the text. When `principalOf(text)` differs (a login, a logout, another user), a second
   * statement files it only if the row still holds that text: a write that came in between filed
   * the principal of its own, newer text, which must win. Only a patch that changes the principal
   * pays that second round trip; between the two the index still names the previous user.
   */
  async merge(
    sid: string,
    change: SessionChange,
    expiresAt: number,
    now: number,
    maxBytes: number,
    principalOf: PrincipalOfJson,
    decided: DecidedPrincipal,
  ): Promise<MergeResult | null> {
    const set = escapeJson(JSON.stringify(change.set));
    const values = [
      sid,
      set,
      expiresAt,
      now,
      change.unset.map(escapeKey),
      maxBytes,
      decided !== undefined,
      decided ?? null,
    ];
    const { rows } = await this.#measured(maxBytes, this.#run('merge', values));
    const row = rows[0];
    if (row === undefined) return null; // a live tombstone
    if (decided !== undefined) return { created: row['created'] === true, principal: decided };
    const filed = (row['principal'] as string | null) ?? null;
    const principal = principalOf(unescapeJson(row['t'] as string));
    if (principal !== filed) await this.#run('file', [principal, sid, row['version']]);
    return { created: row['created'] === true, principal };
  }

  async extend(sid: string, expiresAt: number, now: number): Promise<void> {
    await this.#run('extend', [expiresAt, sid, now]);
  }

  async remove(sid: string, until: number, now: number): Promise<Departed | null> {
    const { rows } = await this.#run('tombstone', [sid, until, now]);
    const row = rows[0];
    return row?.['was_live'] === true ? { sid, principal: (row['principal'] as string | null) ?? null } : null;
  }

  async removeByPrincipal(principal: string, until: number, now: number): Promise<string[]> {
    const { rows } = await this.#run('tombstonePrincipal', [principal, until, now]);
    return rows.map((row) => row['sid'] as string);
  }

  async principalIds(principal: string, after: string, now: number, limit: number): Promise<string[]> {
    const { rows } = await this.#run('principalIds', [principal, after, now, limit]);
    return rows.map((row) => row['sid'] as string);
  }

  async unfiledAfter(after: string, now: number, limit: number): Promise<UnfiledRow[]> {
    const { rows } = await this.#run('unfiled', [after, now, limit]);
    return rows.map((row) => ({
      sid: row['sid'] as string,
      json: unescapeJson(row['t'] as string),
      token: row['version'] as string,
    }));
  }

  async fillPrincipal(row: UnfiledRow, principal: string): Promise<void> {
    await this.#run('fill', [principal, row.sid, row.token]);
  }

  async scanIds(after: string, now: number, limit: number): Promise<string[]> {
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

  async pruneBatch(now: number, limit: number): Promise<PruneResult> {
    const { rows } = await this.#run('prune', [now, limit]);
    const expired = rows
      .filter((row) => row['held'] === true)
      .map((row) => ({ sid: row['sid'] as string, principal: (row['principal'] as string | null) ?? null }));
    return { deleted: rows.length, expired, more: rows.length === limit };
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

  release(): Promise<void> {
    return this.#client.end();
  }

  #run(statement: Statement, values: unknown[]) {
    return this.#client.query({ ...this.#sql[statement], values });
  }

  /** Awaits a statement that ends in {@link refuseOver}, turning its refusal into SessionTooLargeError. */
  async #measured<T>(maxBytes: number, work: Promise<T>): Promise<T> {
    try {
      return await work;
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

type Statement =
  | 'read'
  | 'write'
  | 'writeMeasured'
  | 'merge'
  | 'file'
  | 'extend'
  | 'tombstone'
  | 'tombstonePrincipal'
  | 'ids'
  | 'principalIds'
  | 'count'
  | 'prune'
  | 'unfiled'
  | 'fill';

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
