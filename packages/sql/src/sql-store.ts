import {
  AbstractSessionStore,
  DEFAULT_PRINCIPAL_KEYS,
  decodeSession,
  defaultPrincipal,
  principalOfChange,
  touchesKeys,
  UNDECIDED,
  type PrincipalFunction,
  positiveInteger,
  StoreConfigError,
  type ErrorKind,
  type SessionChange,
  type SessionData,
} from '@sessionkit/core';
import { createDialect } from './detect.js';
import { type DecidedPrincipal, PRINCIPAL_KEPT, type SqlDialect, type SqlDialectName } from './dialect.js';
import { keysetPages } from './keyset.js';
import { PruneTimer, sweep } from './prune-sweep.js';
import { redacted } from './redact.js';
import {
  addsColumn,
  countUnfiled,
  fillPrincipals,
  type Backfill,
  type SqlMigrateOptions,
  type SqlMigrateResult,
} from './sql-migrate.js';
import { DEFAULT_PRUNE_BATCH_SIZE, DEFAULT_PRUNE_INTERVAL_MS, type SqlSessionStoreOptions } from './sql-options.js';

export type { SqlMigrateOptions, SqlMigrateResult } from './sql-migrate.js';
export { DEFAULT_PRUNE_BATCH_SIZE, DEFAULT_PRUNE_INTERVAL_MS, type SqlSessionStoreOptions } from './sql-options.js';

/** Sids fetched per round trip by `ids()` and `idsByPrincipal()`. */
const IDS_PAGE = 100;

/**
 * Sessions in one SQL table (`sid`, `data` JSON, `expires_at` epoch ms, indexed) on PostgreSQL,
 * MySQL/MariaDB or SQLite. Reads filter on `expires_at`; `patch` is one upsert statement with
 * the engine's JSON functions; `destroy` leaves a tombstone row (`data` NULL) for
 * `tombstoneTtlMs` so a late `patch`/`touch` cannot resurrect the session; expired rows and
 * tombstones are deleted by `prune()` on an unref'd interval.
 *
 * Principal index: a `principal` column (indexed, NULL for anonymous sessions) written by the same
 * statement as the data on `set`, computed from the merged text on `patch` (a second, guarded
 * statement on PostgreSQL only when the principal changed), cleared by `destroy` and gone with the
 * row on prune and `clear()`. `idsByPrincipal` / `destroyByPrincipal` use that index. A table
 * made before the column existed is upgraded on first use (`createTable: true`) or by
 * `migrate()`, which also files the principal of sessions written before.
 *
 * Lifecycle events: `created` when a `set`/`patch` inserted the row; `destroyed` when `destroy` /
 * `destroyByPrincipal` ended a live session (of concurrent calls, the one that did);
 * `expired` for each session the prune sweep deletes (each by the one instance that deleted it),
 * so within `pruneIntervalMs` of its expiry. Each at most once, in the process that made the call;
 * a session that expires while no instance prunes is reported when one does.
 *
 * Expiry uses this process's clock (`Date.now()`): keep instance clocks in sync (NTP).
 * Emits `connect` when a call succeeds after the link was down (or for the first time),
 * `disconnect` when a call fails with `StoreUnavailableError` or the pool reports a dead
 * connection, and `error` for errors the client reports outside a call.
 * @throws StoreConfigError from the constructor for an unknown client, an unsafe table/schema
 *   name or a bad number.
 *
 * @example
 * import pg from 'pg'; // or a mysql2 pool, or a better-sqlite3 Database
 * const store = new SqlSessionStore({ client: new pg.Pool({ connectionString: process.env.DATABASE_URL }) });
 * await store.set(sid, { userId: 'u1' }, { ttlMs: 86_400_000 }); // the table is created on first use
 */
export class SqlSessionStore extends AbstractSessionStore {
  readonly name: string;
  readonly #dialect: SqlDialect;
  readonly #principalFn: PrincipalFunction;
  readonly #createTable: boolean;
  readonly #pruneBatchSize: number;
  readonly #closeClient: boolean;
  readonly #unwatch: () => void;
  readonly #pruneTimer: PruneTimer | undefined;
  #ready: Promise<void> | undefined;

  constructor(options: SqlSessionStoreOptions) {
    super(options);
    if (!options?.client)
      throw new StoreConfigError('client is required: a pg Pool, a mysql2 pool or a better-sqlite3 Database');
    this.#dialect = createDialect(options.client, options.dialect, options.table ?? 'sessions', options.schema);
    this.#principalFn = options.principal ?? defaultPrincipal;
    this.name = `sql:${this.#dialect.name}`;
    this.#createTable = options.createTable ?? true;
    this.#pruneBatchSize = positiveInteger(options.pruneBatchSize ?? DEFAULT_PRUNE_BATCH_SIZE, 'pruneBatchSize');
    this.#closeClient = options.closeClient ?? false;
    const interval = options.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS;
    const pruneEvery = interval === false || interval === 0 ? undefined : positiveInteger(interval, 'pruneIntervalMs');
    // Listeners and timers only once every option is valid, so a refused store leaves nothing behind.
    this.#unwatch = this.#dialect.watch((err) => {
      this.emit('error', redacted(err));
      this.linkChanged(false);
    });
    if (pruneEvery !== undefined)
      this.#pruneTimer = new PruneTimer(
        pruneEvery,
        () => this.prune(),
        (err) => this.emit('error', redacted(err)),
      );
  }

  /** The engine this store runs on. */
  get dialect(): SqlDialectName {
    return this.#dialect.name;
  }

  /**
   * Deletes expired sessions and tombstones whose time has passed, `pruneBatchSize` rows per
   * statement until none are left, emits `expired` for each session (not tombstone) it deleted,
   * and returns how many rows were deleted.
   * @throws StoreUnavailableError when a batch fails or exceeds `operationTimeoutMs`.
   */
  prune(): Promise<number> {
    return sweep(
      () =>
        this.run(
          'prune',
          this.#withTable(() => this.#dialect.pruneBatch(Date.now(), this.#pruneBatchSize)),
        ),
      ({ sid, principal }) => this.lifecycle('expired', sid, principal ?? undefined),
    );
  }

  /**
   * Brings a table made by an older version up to date: adds the `principal` column and its
   * index (idempotent: only what is missing, read from the catalog), then files the principal of
   * every live session that has none yet (a page of 500 rows per round trip; a row written in the
   * meantime is left to that write). Returns the DDL and the number of sessions filed. The store
   * runs the DDL part itself on first use unless `createTable: false`; the backfill runs only here,
   * so sessions written before the upgrade are found by `idsByPrincipal` once it has run.
   * @example
   * const { ddl } = await store.migrate({ dryRun: true }); // show what would run
   * console.log(ddl.join(';\n'));
   * await store.migrate();
   * @throws StoreUnavailableError when the database cannot be reached.
   */
  async migrate(options: SqlMigrateOptions = {}): Promise<SqlMigrateResult> {
    const backfill: Backfill = {
      dialect: this.#dialect,
      run: (work) => this.run('migrate', work),
      principalOfJson: (json) => this.#principalOfJson(json),
      idsPage: IDS_PAGE,
    };
    const ddl = await backfill.run(this.#dialect.upgradeDdl());
    if (options.dryRun) return { ddl, filed: await countUnfiled(backfill, ddl) };
    await backfill.run(this.#dialect.createTable());
    this.#ready = Promise.resolve();
    return { ddl, filed: await fillPrincipals(backfill) };
  }

  protected async read(sid: string): Promise<SessionData | null> {
    const text = await this.#withTable(() => this.#dialect.read(sid, Date.now()));
    return text === null ? null : decodeSession(sid, text);
  }

  protected async write(sid: string, data: SessionData, json: string, ttlMs: number): Promise<void> {
    const principal = this.principalOf(data) ?? null;
    const created = await this.#withTable(() =>
      this.#dialect.write(sid, json, expiry(ttlMs), this.maxSessionBytes, principal),
    );
    if (created) this.lifecycle('created', sid, principal ?? undefined);
  }

  protected async merge(sid: string, change: SessionChange, ttlMs: number): Promise<void> {
    const now = Date.now();
    const result = await this.#withTable(() =>
      this.#dialect.merge(
        sid,
        change,
        expiry(ttlMs, now),
        now,
        this.maxSessionBytes,
        (json) => this.#principalOfJson(json, sid),
        this.#decided(change),
      ),
    );
    if (result?.created) this.lifecycle('created', sid, result.principal ?? undefined);
  }

  protected async extend(sid: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    await this.#withTable(() => this.#dialect.extend(sid, expiry(ttlMs, now), now));
  }

  protected async remove(sid: string): Promise<void> {
    const now = Date.now();
    const ended = await this.#withTable(() => this.#dialect.remove(sid, expiry(this.tombstoneTtlMs, now), now));
    if (ended) this.lifecycle('destroyed', sid, ended.principal ?? undefined);
  }

  protected override principalIds(principal: string): AsyncIterable<string> {
    return keysetPages(
      (after) => this.#withTable(() => this.#dialect.principalIds(principal, after, Date.now(), IDS_PAGE)),
      IDS_PAGE,
      (sid) => sid,
    );
  }

  protected override removeByPrincipal(principal: string): Promise<number> {
    return this.#withTable(async () => {
      const now = Date.now();
      const sids = await this.#dialect.removeByPrincipal(principal, expiry(this.tombstoneTtlMs, now), now);
      for (const sid of sids) this.lifecycle('destroyed', sid, principal);
      return sids.length;
    });
  }

  /**
   * The principal `change` alone decides (`null`: anonymous), `PRINCIPAL_KEPT` when the default
   * principal is in use and the change touches none of its keys, `undefined` when the rest of the
   * session matters.
   */
  #decided(change: SessionChange): DecidedPrincipal {
    if (this.#principalFn === defaultPrincipal && !touchesKeys(change, DEFAULT_PRINCIPAL_KEYS)) return PRINCIPAL_KEPT;
    const decided = principalOfChange(change, this.#principalFn);
    return decided === UNDECIDED ? undefined : (decided ?? null);
  }

  /** The principal of a session's JSON text (`null`: anonymous, or text that does not decode). */
  #principalOfJson(json: string, sid = 'migrate'): string | null {
    let data: SessionData;
    try {
      data = decodeSession(sid, json);
    } catch {
      return null;
    }
    return this.principalOf(data) ?? null;
  }

  protected scanIds(): AsyncIterable<string> {
    // Keyset pages: each round trip fetches the next IDS_PAGE sids after the last one seen.
    return keysetPages(
      (after) => this.#withTable(() => this.#dialect.scanIds(after, Date.now(), IDS_PAGE)),
      IDS_PAGE,
      (sid) => sid,
    );
  }

  protected count(): Promise<number> {
    return this.#withTable(() => this.#dialect.count(Date.now()));
  }

  protected removeAll(): Promise<void> {
    return this.#withTable(() => this.#dialect.removeAll());
  }

  protected override async release(): Promise<void> {
    this.#pruneTimer?.stop();
    this.#unwatch();
    if (this.#closeClient) await this.#dialect.release();
  }

  /**
   * Data the engine refused (SQLSTATE classes 22/23, MySQL/MariaDB data errors, SQLite constraint
   * and JSON errors) is `data`: that call fails with `SessionEncodeError`. Only a lost connection or
   * a timeout is `unavailable`. Anything else (a missing table, a permission) is `operation`.
   */
  protected override classifyError(err: unknown): ErrorKind {
    return this.#dialect.classify(err);
  }

  /** A pool reports no connection state (a dead pooled connection aside): the link follows call outcomes. */
  protected override get linkFromCalls(): boolean {
    return true;
  }

  /** Redacts URL passwords from driver errors before they are mapped (see `redacted`). */
  protected override run<T>(operation: string, work: Promise<T>): Promise<T> {
    return super.run(
      operation,
      work.catch((err: unknown) => {
        throw redacted(err);
      }),
    );
  }

  /**
   * Runs `work` once the table exists (created, or upgraded, on first use unless `createTable:
   * false`). With `createTable: false` the table is checked once instead: one made before the
   * `principal` column is refused with the DDL that upgrades it, since every write files a principal.
   */
  async #withTable<T>(work: () => Promise<T>): Promise<T> {
    this.#ready ??= (this.#createTable ? this.#dialect.createTable() : this.#checkTable()).catch((err: unknown) => {
      this.#ready = undefined; // retried by the next call, e.g. once the database is back
      throw err;
    });
    await this.#ready;
    return work();
  }

  async #checkTable(): Promise<void> {
    const ddl = await this.#dialect.upgradeDdl();
    if (!addsColumn(ddl)) return;
    throw new StoreConfigError(
      `the table was made by an earlier version and has no principal column; with createTable: false, run store.migrate() or this DDL: ${ddl.join('; ')}`,
    );
  }
}

function expiry(ttlMs: number, now = Date.now()): number {
  return Math.ceil(now + ttlMs);
}
