import {
  AbstractSessionStore,
  decodeSession,
  isSessionStoreError,
  redactUrl,
  StoreConfigError,
  type BaseStoreOptions,
  type ErrorKind,
  type SessionChange,
  type SessionData,
} from '@sessionkit/core';
import { createDialect, type SqlClient } from './detect.js';
import type { SqlDialect, SqlDialectName } from './dialect.js';

export interface SqlSessionStoreOptions extends BaseStoreOptions {
  /** A `pg` Pool, a `mysql2` pool (promise or callback API; MySQL or MariaDB), or a `better-sqlite3` Database. */
  client: SqlClient;
  /** The engine; recognised from `client` when omitted. */
  dialect?: SqlDialectName;
  /** Table name (letters, digits, `_`; at most 48 characters). Default `sessions`. */
  table?: string;
  /** Schema (PostgreSQL), database (MySQL/MariaDB) or attached database (SQLite) holding the table. Default: the connection's. */
  schema?: string;
  /** Create the table and index on first use if missing. Default `true`. */
  createTable?: boolean;
  /** Milliseconds between prune runs; `0` or `false` turns the interval off. Default 300000 (5 minutes). */
  pruneIntervalMs?: number | false;
  /** Rows deleted per prune statement. Default 1000. */
  pruneBatchSize?: number;
  /** Also close `client` in `close()`. Default `false`; `createStore` sets it for the client it creates. */
  closeClient?: boolean;
}

/** Default `pruneIntervalMs`: 5 minutes. */
export const DEFAULT_PRUNE_INTERVAL_MS = 300_000;
/** Default `pruneBatchSize`. */
export const DEFAULT_PRUNE_BATCH_SIZE = 1000;
/** Sids fetched per round trip by `ids()`. */
const IDS_PAGE = 100;

/**
 * Sessions in one SQL table (`sid`, `data` JSON, `expires_at` epoch ms, indexed) on PostgreSQL,
 * MySQL/MariaDB or SQLite. Reads filter on `expires_at`; `patch` is one upsert statement with
 * the engine's JSON functions; `destroy` leaves a tombstone row (`data` NULL) for
 * `tombstoneTtlMs` so a late `patch`/`touch` cannot resurrect the session; expired rows and
 * tombstones are deleted by `prune()` on an unref'd interval.
 *
 * Expiry uses this process's clock (`Date.now()`): keep instance clocks in sync (NTP).
 * Emits `connect` when a call succeeds after the link was down (or for the first time),
 * `disconnect` when a call fails with `StoreUnavailableError` or the pool reports a dead
 * connection, and `error` for errors the client reports outside a call.
 * @throws StoreConfigError from the constructor for an unknown client, an unsafe table/schema
 *   name or a bad number.
 */
export class SqlSessionStore extends AbstractSessionStore {
  readonly name: string;
  readonly #dialect: SqlDialect;
  readonly #createTable: boolean;
  readonly #pruneBatchSize: number;
  readonly #closeClient: boolean;
  readonly #unwatch: () => void;
  #ready: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #pruning = false;
  #linkUp: boolean | undefined;

  constructor(options: SqlSessionStoreOptions) {
    super(options);
    if (!options?.client)
      throw new StoreConfigError('client is required: a pg Pool, a mysql2 pool or a better-sqlite3 Database');
    this.#dialect = createDialect(options.client, options.dialect, options.table ?? 'sessions', options.schema);
    this.name = `sql:${this.#dialect.name}`;
    this.#createTable = options.createTable ?? true;
    this.#pruneBatchSize = positiveInteger(options.pruneBatchSize ?? DEFAULT_PRUNE_BATCH_SIZE, 'pruneBatchSize');
    this.#closeClient = options.closeClient ?? false;
    const interval = options.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS;
    const pruneEvery = interval === false || interval === 0 ? undefined : positiveInteger(interval, 'pruneIntervalMs');
    // Listeners and timers only once every option is valid, so a refused store leaves nothing behind.
    this.#unwatch = this.#dialect.watch((err) => {
      this.emit('error', redacted(err));
      this.#linkChanged(false);
    });
    if (pruneEvery !== undefined) {
      this.#timer = setInterval(() => void this.#pruneInBackground(), pruneEvery);
      this.#timer.unref();
    }
  }

  /** The engine this store runs on. */
  get dialect(): SqlDialectName {
    return this.#dialect.name;
  }

  /**
   * Deletes expired sessions and tombstones whose time has passed, `pruneBatchSize` rows per
   * statement until none are left, and returns how many rows were deleted.
   * @throws StoreUnavailableError when a batch fails or exceeds `operationTimeoutMs`.
   */
  async prune(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.run(
        'prune',
        this.#withTable(() => this.#dialect.pruneBatch(Date.now(), this.#pruneBatchSize)),
      );
      total += deleted;
      if (deleted < this.#pruneBatchSize) return total;
    }
  }

  protected async read(sid: string): Promise<SessionData | null> {
    const text = await this.#withTable(() => this.#dialect.read(sid, Date.now()));
    return text === null ? null : decodeSession(sid, text);
  }

  protected async write(sid: string, _data: SessionData, json: string, ttlMs: number): Promise<void> {
    await this.#withTable(() => this.#dialect.write(sid, json, expiry(ttlMs), this.maxSessionBytes));
  }

  protected async merge(sid: string, change: SessionChange, ttlMs: number): Promise<void> {
    const now = Date.now();
    await this.#withTable(() => this.#dialect.merge(sid, change, expiry(ttlMs, now), now, this.maxSessionBytes));
  }

  protected async extend(sid: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    await this.#withTable(() => this.#dialect.extend(sid, expiry(ttlMs, now), now));
  }

  protected async remove(sid: string): Promise<void> {
    await this.#withTable(() => this.#dialect.tombstone(sid, expiry(this.tombstoneTtlMs)));
  }

  protected async *scanIds(): AsyncIterable<string> {
    // Keyset pages: each round trip fetches the next IDS_PAGE sids after the last one seen.
    let after = '';
    for (;;) {
      const page = await this.#withTable(() => this.#dialect.idsAfter(after, Date.now(), IDS_PAGE));
      yield* page;
      if (page.length < IDS_PAGE) return;
      after = page[page.length - 1] as string;
    }
  }

  protected count(): Promise<number> {
    return this.#withTable(() => this.#dialect.count(Date.now()));
  }

  protected removeAll(): Promise<void> {
    return this.#withTable(() => this.#dialect.removeAll());
  }

  protected override async release(): Promise<void> {
    clearInterval(this.#timer);
    this.#unwatch();
    if (this.#closeClient) await this.#dialect.end();
  }

  /**
   * Data the engine refused (SQLSTATE classes 22/23, MySQL/MariaDB data errors, SQLite constraint
   * and JSON errors) is `data`: that call fails with `SessionEncodeError`. Only a lost connection or
   * a timeout is `unavailable`. Anything else (a missing table, a permission) is `operation`.
   */
  protected override classifyError(err: unknown): ErrorKind {
    return this.#dialect.classify(err);
  }

  /**
   * Tracks the link from call outcomes, so `disconnect`/`connect` follow it without polling: only
   * `StoreUnavailableError` marks it down; any answer from the database, an error included, marks it up.
   */
  protected override async run<T>(operation: string, work: Promise<T>): Promise<T> {
    try {
      const result = await super.run(
        operation,
        work.catch((err: unknown) => {
          throw redacted(err);
        }),
      );
      this.#linkChanged(true);
      return result;
    } catch (err) {
      if (isSessionStoreError(err, 'ERR_STORE_UNAVAILABLE')) this.#linkChanged(false);
      else this.#linkChanged(true);
      throw err;
    }
  }

  #linkChanged(up: boolean): void {
    if (this.#linkUp === up) return;
    this.#linkUp = up;
    this.emit(up ? 'connect' : 'disconnect');
  }

  /** Runs `work` once the table exists (created on first use unless `createTable: false`). */
  async #withTable<T>(work: () => Promise<T>): Promise<T> {
    if (this.#createTable) {
      this.#ready ??= this.#dialect.createTable().catch((err: unknown) => {
        this.#ready = undefined; // retried by the next call, e.g. once the database is back
        throw err;
      });
      await this.#ready;
    }
    return work();
  }

  async #pruneInBackground(): Promise<void> {
    if (this.#pruning) return;
    this.#pruning = true;
    try {
      await this.prune();
    } catch (err) {
      this.emit('error', redacted(err));
    } finally {
      this.#pruning = false;
    }
  }
}

/**
 * `err` with any URL password in its message and stack replaced by `***` (see `redactUrl`), so no
 * message or event of the store quotes one, whatever the driver put in its text.
 */
function redacted(err: unknown): unknown {
  if (err instanceof Error) {
    const message = redactUrl(err.message);
    if (message !== err.message) err.message = message;
    const stack = err.stack === undefined ? undefined : redactUrl(err.stack);
    if (stack !== err.stack) err.stack = stack;
  }
  return err;
}

function expiry(ttlMs: number, now = Date.now()): number {
  return Math.ceil(now + ttlMs);
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new StoreConfigError(`${name} must be a positive integer, got ${value}`);
  return value;
}
