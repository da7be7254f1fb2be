import { type ErrorKind, jsonOf, type SessionChange } from '@sessionkit/core';
import {
  type DecidedPrincipal,
  type Departed,
  type MergeResult,
  PRINCIPAL_KEPT,
  type PrincipalOfJson,
  type PruneResult,
  type SqlDialect,
  type UnfiledRow,
} from '../dialect.js';
import { tableNames, type TableNames } from '../identifiers.js';
import { escapeJson, escapeKey, unescapeJson } from './nul-escape.js';
import { classifyPostgresError } from './postgres-errors.js';
import { measured, postgresStatements, type Statement } from './postgres-statements.js';
import { postgresSchema, postgresUpgradeDdl } from './postgres-table.js';

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
    this.#names = tableNames(table, schema, '"');
    this.#sql = postgresStatements(this.#names);
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

  upgradeDdl(): Promise<string[]> {
    return postgresUpgradeDdl(this.#names, this.#client);
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
      ? measured(maxBytes, this.#run('writeMeasured', [sid, stored, expiresAt, maxBytes, principal]))
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
    const set = escapeJson(jsonOf(change.set));
    if (decided === PRINCIPAL_KEPT) {
      const kept = [sid, set, expiresAt, now, change.unset.map(escapeKey), maxBytes];
      const { rows } = await measured(maxBytes, this.#run('mergeKept', kept));
      const row = rows[0];
      return row === undefined
        ? null
        : { created: row['created'] === true, principal: (row['principal'] as string | null) ?? null };
    }
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
    const { rows } = await measured(maxBytes, this.#run('merge', values));
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
    return classifyPostgresError(err);
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
}
