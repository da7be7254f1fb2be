import type { TableNames } from '../identifiers.js';

// The MySQL/MariaDB table: its DDL, the catalog read that upgrades it, and how its values read back.

/** Runs one statement on the dialect's pool: `rows` gives a SELECT's rows, `execute` the raw result. */
export interface MysqlRunner {
  rows(sql: string, values: unknown[]): Promise<Record<string, unknown>[]>;
  execute(sql: string, values: unknown[]): Promise<unknown>;
}

/** `CREATE TABLE` for MySQL and MariaDB, as in `sql/mysql.sql`. */
export function mysqlSchema(names: TableNames): string {
  // VARBINARY: sids compare byte for byte (case, trailing spaces and every Unicode character
  // count), which no VARCHAR collation does on both servers. 768 bytes hold 256 UTF-16 units.
  return `CREATE TABLE IF NOT EXISTS ${names.table} (
  sid VARBINARY(768) NOT NULL PRIMARY KEY,
  data JSON NULL,
  expires_at BIGINT NOT NULL,
  principal VARBINARY(256) NULL,
  INDEX ${names.index} (expires_at),
  INDEX ${names.principalIndex} (principal)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
}

/** The upgrade of a table made before the principal index, as in `sql/mysql.sql`. */
export function mysqlPrincipalDdl(names: TableNames, parts: { column: boolean; index: boolean }): string[] {
  const ddl: string[] = [];
  // VARBINARY: principal ids compare byte for byte, like sids; 256 bytes is the longest id.
  if (parts.column) ddl.push(`ALTER TABLE ${names.table} ADD COLUMN principal VARBINARY(256) NULL`);
  if (parts.index) ddl.push(`CREATE INDEX ${names.principalIndex} ON ${names.table} (principal)`);
  return ddl;
}

/**
 * The DDL that brings the existing table up to date (see `SqlDialect.upgradeDdl`), read from
 * `information_schema` through `rows` (one statement, its rows).
 */
export async function mysqlUpgradeDdl(names: TableNames, rows: MysqlRunner['rows']): Promise<string[]> {
  const schema = names.schemaName === undefined ? 'DATABASE()' : '?';
  const values = names.schemaName === undefined ? [] : [names.schemaName];
  const found = await rows(
    `SELECT
         (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = ?) AS has_table,
         (SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = ? AND COLUMN_NAME = 'principal') AS has_column,
         (SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = ? AND INDEX_NAME = ?) AS has_index`,
    [...values, names.name, ...values, names.name, ...values, names.name, `${names.name}_principal_idx`],
  );
  const row = found[0] ?? {};
  if (Number(row['has_table']) === 0) return [];
  return mysqlPrincipalDdl(names, {
    column: Number(row['has_column']) === 0,
    index: Number(row['has_index']) === 0,
  });
}

/** A VARBINARY value (a Buffer; a table from an older schema may still give a string) as text. */
export function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}
