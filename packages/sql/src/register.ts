import {
  DEFAULT_OPERATION_TIMEOUT_MS,
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
const STORE_PARAMS = ['table', 'schema', 'createTable', 'pruneIntervalMs', 'pruneBatchSize'] as const;

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
      const own = takeStoreParams(url);
      const extra = [...url.searchParams.keys()];
      if (extra.length)
        throw new StoreConfigError(
          `sqlite: URL has unknown parameters ${extra.join(', ')}; known: ${STORE_PARAMS.join(', ')}`,
        );
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
function takeStoreParams(url: URL): Partial<SqlSessionStoreOptions> {
  const options: Record<string, unknown> = {};
  for (const name of STORE_PARAMS) {
    const value = url.searchParams.get(name);
    if (value === null) continue;
    url.searchParams.delete(name);
    if (name === 'table' || name === 'schema') options[name] = value;
    else if (name === 'createTable') options[name] = parseBoolean(value);
    else options[name] = Number(value);
  }
  return options;
}

function parseBoolean(value: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new StoreConfigError(`createTable must be true or false, got ${JSON.stringify(value)}`);
}

function timeoutOf(options: CreateStoreOptions): number {
  return options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
}
