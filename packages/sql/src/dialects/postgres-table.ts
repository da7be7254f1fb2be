import type { TableNames } from '../identifiers.js';
import type { PgClient } from './postgres.js';

// The PostgreSQL table: its DDL and the catalog read that upgrades it.

/** `CREATE TABLE` / `CREATE INDEX` for PostgreSQL, as in `sql/postgres.sql`. */
export function postgresSchema(names: TableNames): string {
  return [
    `CREATE TABLE IF NOT EXISTS ${names.table} (sid varchar(256) COLLATE "C" PRIMARY KEY, data jsonb, expires_at bigint NOT NULL, principal text COLLATE "C")`,
    `CREATE INDEX IF NOT EXISTS ${names.index} ON ${names.table} (expires_at)`,
  ].join(';\n');
}

/** The upgrade of a table made before the principal index (idempotent statements), as in `sql/postgres.sql`. */
export function postgresPrincipalDdl(names: TableNames, parts: { column: boolean; index: boolean }): string[] {
  const ddl: string[] = [];
  if (parts.column) ddl.push(`ALTER TABLE ${names.table} ADD COLUMN IF NOT EXISTS principal text COLLATE "C"`);
  // Partial: anonymous sessions (most rows, often) cost the index nothing.
  if (parts.index)
    ddl.push(
      `CREATE INDEX IF NOT EXISTS ${names.principalIndex} ON ${names.table} (principal) WHERE principal IS NOT NULL`,
    );
  return ddl;
}

/** The DDL that brings the existing table up to date (see `SqlDialect.upgradeDdl`), read from the catalog. */
export async function postgresUpgradeDdl(names: TableNames, client: PgClient): Promise<string[]> {
  const schema = names.schemaName === undefined ? 'current_schema()' : '$2';
  const values = names.schemaName === undefined ? [names.name] : [names.name, names.schemaName];
  const { rows } = await client.query({
    text: `SELECT
          EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = ${schema} AND table_name = $1) AS has_table,
          EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = ${schema} AND table_name = $1 AND column_name = 'principal') AS has_column,
          EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = ${schema} AND tablename = $1 AND indexname = $1 || '_principal_idx') AS has_index`,
    values,
  });
  const row = rows[0] as { has_table: boolean; has_column: boolean; has_index: boolean };
  if (!row.has_table) return [];
  return postgresPrincipalDdl(names, { column: !row.has_column, index: !row.has_index });
}
