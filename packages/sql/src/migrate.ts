import { ESC } from './dialects/nul-escape.js';
import { PostgresDialect, type PgClient } from './dialects/postgres.js';
import { tableNames } from './identifiers.js';

export interface ConnectPgSimpleMigration {
  /** A `pg` Pool on the database holding both tables. */
  client: PgClient;
  /** connect-pg-simple's table (`sid`, `sess` json, `expire` timestamp). Default `session`. */
  from?: string;
  /** Schema of `from`. Default: the connection's. */
  fromSchema?: string;
  /** The SqlSessionStore table; created when missing. Default `sessions`. */
  table?: string;
  /** Schema of `table`. Default: the connection's. */
  schema?: string;
}

/**
 * Copies the unexpired sessions of connect-pg-simple's table into a SqlSessionStore table in one
 * `INSERT … SELECT`, keeping each session's data and absolute expiry, and returns how many rows
 * were copied. Sessions already in the target table are kept as they are, so it can run again
 * (e.g. once before and once after switching the app over). Sids that SqlSessionStore would
 * refuse (see `isValidSessionId`: over 256 UTF-16 units, control characters) are skipped. The old
 * table is left untouched.
 * @throws StoreConfigError for an unsafe table or schema name.
 */
export async function migrateFromConnectPgSimple(options: ConnectPgSimpleMigration): Promise<number> {
  const source = tableNames(options.from ?? 'session', options.fromSchema, '"').table;
  const target = tableNames(options.table ?? 'sessions', options.schema, '"').table;
  await new PostgresDialect(options.client, options.table ?? 'sessions', options.schema).createTable();
  // connect-pg-simple writes `expire` (timestamp without time zone) in the session's TimeZone,
  // so the cast back to timestamptz reads it in that same zone.
  // A user's U+FDD0 is doubled, as the store writes it (see nul-escape.ts). UTF-16 length = characters
  // plus one per character outside the BMP.
  const { rowCount } = await options.client.query({
    text: `INSERT INTO ${target} (sid, data, expires_at)
      SELECT sid, replace(sess::jsonb::text, '${ESC}', '${ESC}${ESC}')::jsonb, floor(extract(epoch FROM expire::timestamptz) * 1000)::bigint
      FROM ${source}
      WHERE expire::timestamptz > now() AND jsonb_typeof(sess::jsonb) = 'object'
        AND sid !~ '[\\u0001-\\u001f\\u007f-\\u009f]'
        AND char_length(sid) + char_length(regexp_replace(sid, '[\\u0001-\\uffff]', '', 'g')) BETWEEN 1 AND 256
      ON CONFLICT (sid) DO NOTHING`,
  });
  return rowCount ?? 0;
}
