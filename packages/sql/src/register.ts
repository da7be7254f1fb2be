import {
  DEFAULT_OPERATION_TIMEOUT_MS,
  queryOptions,
  redactUrl,
  registerStore,
  StoreConfigError,
  type CreateStoreOptions,
} from '@sessionkit/core';
import type { SqliteDatabase } from './dialects/sqlite.js';
import type { MysqlPool } from './dialects/mysql.js';
import type { PgClient } from './dialects/postgres.js';
import { loadDriver } from './drivers.js';
import { SqlSessionStore, type SqlSessionStoreOptions } from './sql-store.js';

type PgModule = { Pool: new (config: { connectionString: string; connectionTimeoutMillis: number }) => PgClient };
type MysqlModule = { createPool(config: { uri: string; connectTimeout: number }): MysqlPool };
type SqliteModule = new (
  path: string,
  options: { timeout: number },
) => SqliteDatabase & { pragma(sql: string): unknown };

/** Store options read from the URL's query string; the rest of the URL goes to the driver. */
const STORE_PARAMS = {
  table: 'string',
  schema: 'string',
  createTable: 'boolean',
  pruneIntervalMs: 'number',
  pruneBatchSize: 'integer',
} as const;

/**
 * Registers `postgres://`, `postgresql://`, `mysql://`, `mariadb://` and `sqlite:` with
 * `createStore`. Each creates a client the store owns and closes: a `pg` Pool
 * (`connectionTimeoutMillis` = `operationTimeoutMs`), a `mysql2` pool (`connectTimeout` =
 * `operationTimeoutMs`), or a `better-sqlite3` Database (WAL journal for files, busy timeout =
 * `operationTimeoutMs`). Store options come from the query string:
 * `?table=sessions&schema=app&createTable=false&pruneIntervalMs=60000&pruneBatchSize=500`.
 */
export function registerSqlStores(): void {
  registerStore(
    ['postgres', 'postgresql'],
    (url, options) => {
      const own = takeStoreParams(url);
      const { Pool } = loadDriver<PgModule>('pg', 'pg', 'postgres://');
      const client = driverClient(
        'postgres',
        () => new Pool({ connectionString: url.href, connectionTimeoutMillis: timeoutOf(options) }),
      );
      return owned(client, () => client.end(), { ...options, ...own, dialect: 'postgres' });
    },
    'postgres://user:password@localhost:5432/app?table=sessions',
  );

  registerStore(
    ['mysql', 'mariadb'],
    (url, options) => {
      const own = takeStoreParams(url);
      const { createPool } = loadDriver<MysqlModule>('mysql2/promise', 'mysql2', 'mysql://');
      const client = driverClient('mysql', () =>
        createPool({ uri: url.href.replace(/^mariadb:/i, 'mysql:'), connectTimeout: timeoutOf(options) }),
      );
      return owned(client, () => client.end(), { ...options, ...own, dialect: 'mysql' });
    },
    'mysql://user:password@localhost:3306/app?table=sessions',
  );

  registerStore(
    ['sqlite'],
    (url, options) => {
      // No driver reads parameters from a file path: every one is the store's, and a typo is refused.
      const own = takeStoreParams(url, false);
      const path = decodeURIComponent(url.host + url.pathname);
      if (!path) throw new StoreConfigError('sqlite: URL names no file; use sqlite:./sessions.db or sqlite::memory:');
      const Database = loadDriver<SqliteModule>('better-sqlite3', 'better-sqlite3', 'sqlite:');
      const client = driverClient('sqlite', () => new Database(path, { timeout: timeoutOf(options) }));
      // WAL lets readers in other processes work while one process writes.
      if (path !== ':memory:') client.pragma('journal_mode = WAL');
      return owned(client, () => client.close(), { ...options, ...own, dialect: 'sqlite' });
    },
    'sqlite:./sessions.db',
  );
}

/**
 * Creates the driver's client; a driver that refuses the URL's settings (an unknown charset, a
 * malformed escape) gives StoreConfigError, its message without the URL's password.
 */
function driverClient<C>(scheme: string, create: () => C): C {
  try {
    return create();
  } catch (err) {
    throw new StoreConfigError(
      `${scheme}: the driver refused the store URL: ${redactUrl(err instanceof Error ? err.message : String(err))}`,
    );
  }
}

/** Builds a store that closes `client` with itself; closes `client` at once when the options are refused. */
function owned(
  client: SqlSessionStoreOptions['client'],
  close: () => unknown,
  options: Omit<SqlSessionStoreOptions, 'client'>,
): SqlSessionStore {
  try {
    return new SqlSessionStore({ ...options, client, closeClient: true });
  } catch (err) {
    void Promise.resolve(close()).catch(() => {});
    throw err;
  }
}

/** Removes the store's own parameters from `url` and returns them as options. */
/**
 * Takes the store's own parameters out of `url`, so the driver sees only its own.
 * @param driverParams whether the driver reads other parameters (`sslmode` for pg); else they are refused.
 * @throws StoreConfigError for a malformed value, or an unknown parameter when `driverParams` is false.
 */
function takeStoreParams(url: URL, driverParams = true): Partial<SqlSessionStoreOptions> {
  const own = queryOptions(url, STORE_PARAMS, { what: `${url.protocol} store URL`, allowOthers: driverParams });
  for (const name of Object.keys(STORE_PARAMS)) url.searchParams.delete(name);
  return own;
}

function timeoutOf(options: CreateStoreOptions): number {
  return options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
}
