import { randomBytes } from 'node:crypto';
import type { Pool as MysqlPromisePool, RowDataPacket } from 'mysql2/promise';
import { runConformanceSuite } from '@sessionkit/test-suite';
import { afterAll, beforeAll, it } from 'vitest';
import { SqlSessionStore, type SqlClient } from '../../src/index.js';
import { TcpProxy } from './tcp-proxy.js';

/** PostgreSQL for the tests: DATABASE_URL, else the local server as user postgres. */
export const POSTGRES_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
/** MariaDB or MySQL for the tests: MYSQL_URL, else the local server as root. */
export const MYSQL_URL = process.env['MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test';

/**
 * `operationTimeoutMs` for stores in tests that check what is stored, not how fast: generous, so a
 * shared, busy 2-core machine does not turn a slow answer into `StoreUnavailableError`. Tests of
 * timeouts pass their own.
 */
export const PATIENT_TIMEOUT_MS = 15_000;

/** A table name no other test run uses; each test file drops its tables afterwards. */
export function tableName(label: string): string {
  return `sk_${label}_${randomBytes(4).toString('hex')}`;
}

/**
 * Writes data that does not decode to a session into a MariaDB/MySQL row: text that is not JSON
 * on MariaDB (its JSON_VALID check is turned off for this one connection), JSON that is not an
 * object on MySQL, whose binary JSON type refuses invalid text outright.
 */
export async function corruptMysqlRow(pool: MysqlPromisePool, table: string, sid: string): Promise<void> {
  const connection = await pool.getConnection();
  try {
    const [[row]] = await connection.query<RowDataPacket[]>('SELECT VERSION() AS v');
    const mariadb = /mariadb/i.test(String(row?.['v']));
    if (mariadb) await connection.query('SET SESSION check_constraint_checks = OFF');
    await connection.execute(`UPDATE \`${table}\` SET data = ? WHERE sid = ?`, [
      mariadb ? '{"cart": [not json' : '[1, 2]',
      sid,
    ]);
    if (mariadb) await connection.query('SET SESSION check_constraint_checks = ON');
  } finally {
    connection.release();
  }
}

/**
 * Hands out table names for one test file and drops them after its tests with `drop` (when the
 * engine was available), then runs `end` to close the file's admin connection.
 */
export function tablesDroppedAfterAll(
  ok: boolean,
  drop: (table: string) => Promise<unknown>,
  end: () => Promise<unknown>,
): (label: string) => string {
  const tables: string[] = [];
  afterAll(async () => {
    if (ok) for (const table of tables) await drop(table);
    await end();
  });
  return (label) => {
    const table = tableName(label);
    tables.push(table);
    return table;
  };
}

/**
 * Runs the conformance suite on `table` with stores whose pool (from `pool`, given the URL and the
 * connect timeout) reaches the server of `url` through a {@link TcpProxy}, which the outage group
 * stops and starts; `reclaim` prunes the current store. Call inside a describe.
 */
export function conformanceThroughProxy(options: {
  url: string;
  defaultPort: number;
  table: string;
  pool: (url: string, connectTimeoutMs: number) => SqlClient;
  storedTtlMs: (sid: string) => Promise<number | null>;
  corrupt: (sid: string) => Promise<void>;
}): void {
  const target = new URL(options.url);
  const proxy = new TcpProxy(target.hostname, Number(target.port || options.defaultPort));
  beforeAll(() => proxy.start());
  afterAll(() => proxy.stop());
  let current: SqlSessionStore | undefined;

  runConformanceSuite({
    it,
    createStore: (storeOptions) => {
      const operationTimeoutMs = storeOptions.operationTimeoutMs ?? PATIENT_TIMEOUT_MS;
      const client = options.pool(via(options.url, proxy.port), operationTimeoutMs);
      return (current = new SqlSessionStore({
        ...storeOptions,
        operationTimeoutMs,
        client,
        table: options.table,
        closeClient: true,
        pruneIntervalMs: false,
      }));
    },
    probe: {
      storedTtlMs: options.storedTtlMs,
      corrupt: options.corrupt,
      async reclaim() {
        await current?.prune();
      },
    },
    backend: { stop: () => proxy.stop(), start: () => proxy.start() },
  });
}

/** `url` with its host and port replaced, to route a pool through a {@link TcpProxy}. */
function via(url: string, port: number): string {
  const copy = new URL(url);
  copy.hostname = '127.0.0.1';
  copy.port = String(port);
  return copy.href;
}
