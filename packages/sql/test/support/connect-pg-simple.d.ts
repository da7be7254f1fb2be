// connect-pg-simple ships no types; the migration test uses this much of it.
declare module 'connect-pg-simple' {
  import type session from 'express-session';
  import type { Pool } from 'pg';

  interface PgStoreOptions {
    pool: Pool;
    tableName?: string;
    schemaName?: string;
    createTableIfMissing?: boolean;
    pruneSessionInterval?: number | false;
  }
  interface PgStore extends session.Store {
    close(): Promise<void>;
  }
  export default function connectPgSimple(s: typeof session): new (options: PgStoreOptions) => PgStore;
}
