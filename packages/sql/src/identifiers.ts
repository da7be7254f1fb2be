import { StoreConfigError } from '@sessionkit/core';

/**
 * Table and schema names: a letter or underscore, then letters, digits and underscores, 48
 * characters at most (room for the `_expires_at_idx` and `_principal_idx` suffixes within PostgreSQL's 63-byte limit).
 * Names are also quoted, but anything outside this set is refused, so no option can carry SQL.
 */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

/** Returns `name` when it matches {@link IDENTIFIER_PATTERN}; throws `StoreConfigError` otherwise. */
export function assertIdentifier(name: unknown, option: string): string {
  if (typeof name !== 'string' || !IDENTIFIER_PATTERN.test(name)) {
    throw new StoreConfigError(
      `${option} ${JSON.stringify(String(name))} is not a safe SQL identifier: use 1 to 48 characters of A-Z a-z 0-9 _, starting with a letter or _`,
    );
  }
  return name;
}

/** The quoted names a dialect writes into its statements. */
export interface TableNames {
  /** Schema-qualified, quoted table name, e.g. `"public"."sessions"` or `` `app`.`sessions` ``. */
  table: string;
  /** Quoted name of the `expires_at` index (unqualified: an index lives in its table's schema). */
  index: string;
  /** Quoted name of the `principal` index (unqualified). */
  principalIndex: string;
  /** The table name unquoted, as the engine's catalog spells it. */
  name: string;
  /** The schema name unquoted, when one was given. */
  schemaName: string | undefined;
  /** Quoted schema name, when one was given. */
  schema: string | undefined;
  /** Unquoted `schema.table` (or `table`), used as an advisory-lock key. */
  plain: string;
}

/** Validates `table` / `schema` and quotes them with the dialect's identifier quote (`"` or `` ` ``). */
export function tableNames(table: string, schema: string | undefined, quote: '"' | '`'): TableNames {
  const name = assertIdentifier(table, 'table');
  const q = (id: string) => `${quote}${id}${quote}`;
  const index = q(`${name}_expires_at_idx`);
  const principalIndex = q(`${name}_principal_idx`);
  if (schema === undefined)
    return { table: q(name), index, principalIndex, name, schemaName: undefined, schema: undefined, plain: name };
  const space = assertIdentifier(schema, 'schema');
  return {
    table: `${q(space)}.${q(name)}`,
    index,
    principalIndex,
    name,
    schemaName: space,
    schema: q(space),
    plain: `${space}.${name}`,
  };
}
