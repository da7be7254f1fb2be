import { registerSqlStores } from './register.js';

export {
  SqlSessionStore,
  DEFAULT_PRUNE_BATCH_SIZE,
  DEFAULT_PRUNE_INTERVAL_MS,
  type SqlSessionStoreOptions,
} from './sql-store.js';
export type { SqlDialectName } from './dialect.js';
export type { SqlClient, MysqlCallbackPool } from './detect.js';
export type { PgClient } from './dialects/postgres.js';
export type { MysqlPool } from './dialects/mysql.js';
export type { SqliteDatabase, SqliteStatement } from './dialects/sqlite.js';
export { migrateFromConnectPgSimple, type ConnectPgSimpleMigration } from './migrate.js';

registerSqlStores();
