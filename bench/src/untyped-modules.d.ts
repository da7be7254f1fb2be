// Minimal declarations for the two compared libraries that ship no types; only what the bench calls.
declare module 'connect-pg-simple' {
  import type session from 'express-session';
  import type { Pool } from 'pg';
  interface PgStoreOptions {
    pool?: Pool;
    tableName?: string;
    createTableIfMissing?: boolean;
    pruneSessionInterval?: number | false;
  }
  type PgStore = session.Store & { close(): Promise<void> };
  export default function connectPgSimple(module: typeof session): new (options: PgStoreOptions) => PgStore;
}

declare module 'express-mysql-session' {
  import type session from 'express-session';
  interface MySqlStoreOptions {
    createDatabaseTable?: boolean;
    schema?: { tableName?: string };
  }
  type MySqlStore = session.Store & { onReady(): Promise<void>; close(): Promise<void> };
  export default function mysqlStore(
    module: typeof session,
  ): new (
    options: MySqlStoreOptions,
    connection?: unknown,
  ) => MySqlStore;
}
