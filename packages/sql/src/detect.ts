import { StoreConfigError } from '@sessionkit/core';
import type { SqlDialect, SqlDialectName } from './dialect.js';
import { MysqlDialect, type MysqlPool } from './dialects/mysql.js';
import { PostgresDialect, type PgClient } from './dialects/postgres.js';
import { SqliteDialect, type SqliteDatabase } from './dialects/sqlite.js';

/** A `mysql2` callback pool (`mysql2.createPool`); the store uses its `.promise()` wrapper. */
export interface MysqlCallbackPool {
  promise(): MysqlPool;
}

/** A client the store runs on: a `pg` Pool, a `mysql2` pool (promise or callback API), or a `better-sqlite3` Database. */
export type SqlClient = PgClient | MysqlPool | MysqlCallbackPool | SqliteDatabase;

const DIALECTS: SqlDialectName[] = ['postgres', 'mysql', 'sqlite'];

/**
 * Builds the dialect for `client`: `dialect` when given, otherwise recognised by shape
 * (`pragma` → better-sqlite3, `execute` → mysql2, `query` + `on` → pg).
 * @throws StoreConfigError when the client is not recognised or `dialect` is unknown.
 */
export function createDialect(
  client: SqlClient,
  dialect: SqlDialectName | undefined,
  table: string,
  schema?: string,
): SqlDialect {
  const kind = dialect ?? detect(client);
  switch (kind) {
    case 'postgres':
      return new PostgresDialect(client as PgClient, table, schema);
    case 'mysql': {
      const pool =
        typeof (client as MysqlCallbackPool).promise === 'function' ? (client as MysqlCallbackPool).promise() : client;
      return new MysqlDialect(pool as MysqlPool, table, schema);
    }
    case 'sqlite':
      return new SqliteDialect(client as SqliteDatabase, table, schema);
    default:
      throw new StoreConfigError(`dialect ${JSON.stringify(kind)} is unknown; expected one of ${DIALECTS.join(', ')}`);
  }
}

function detect(client: SqlClient): SqlDialectName {
  const has = (method: string) => typeof (client as unknown as Record<string, unknown> | null)?.[method] === 'function';
  if (has('prepare') && has('pragma')) return 'sqlite';
  if (has('execute')) return 'mysql';
  if (has('query') && has('on')) return 'postgres';
  throw new StoreConfigError(
    'client is not a pg Pool, a mysql2 pool or a better-sqlite3 Database; pass one of them, or set dialect to postgres, mysql or sqlite',
  );
}
