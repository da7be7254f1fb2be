import type { SqlDialect, UnfiledRow } from './dialect.js';
import { keysetPages } from './keyset.js';

// The principal backfill of `SqlSessionStore.migrate()`: every live session without a filed principal.

/** Rows read per round trip by the principal backfill of `migrate()`. */
const BACKFILL_PAGE = 500;

export interface SqlMigrateOptions {
  /** Only report the DDL that would run and the rows that would be filed; change nothing. Default `false`. */
  dryRun?: boolean;
}

/** What `migrate()` did (or, with `dryRun`, would do). */
export interface SqlMigrateResult {
  /** The DDL statements run (or to run), in order; empty when the table was current. */
  ddl: string[];
  /** Live sessions whose principal was filed by the backfill (with `dryRun`: that would be). */
  filed: number;
}

/** What the backfill needs from the store: its dialect, its call wrapper and its principal function. */
export interface Backfill {
  dialect: SqlDialect;
  /** Runs one step as the store's `migrate` operation (timeout, error mapping). */
  run<T>(work: Promise<T>): Promise<T>;
  /** The principal of a session's JSON text (`null`: anonymous, or text that does not decode). */
  principalOfJson(json: string): string | null;
  /** Sids fetched per round trip when every row is read. */
  idsPage: number;
}

/**
 * How many live sessions `fillPrincipals` would file, after `ddl` (the upgrade still to run): a
 * table that lacks the `principal` column is read whole, without it.
 */
export async function countUnfiled(backfill: Backfill, ddl: string[]): Promise<number> {
  let filed = 0;
  const rows = addsColumn(ddl) ? everyRow(backfill) : unfiled(backfill);
  for await (const row of rows) if (backfill.principalOfJson(row.json) !== null) filed++;
  return filed;
}

/** Files the principal of every live session that has none yet; resolves to how many were filed. */
export async function fillPrincipals(backfill: Backfill): Promise<number> {
  let filed = 0;
  for await (const row of unfiled(backfill)) {
    const principal = backfill.principalOfJson(row.json);
    if (principal === null) continue;
    await backfill.run(backfill.dialect.fillPrincipal(row, principal));
    filed++;
  }
  return filed;
}

/** Whether the upgrade `ddl` adds the `principal` column (the table has none yet). */
export function addsColumn(ddl: string[]): boolean {
  return ddl.some((statement) => /\bADD COLUMN\b/.test(statement));
}

function unfiled({ dialect, run }: Backfill): AsyncIterable<UnfiledRow> {
  return keysetPages(
    (after) => run(dialect.unfiledAfter(after, Date.now(), BACKFILL_PAGE)),
    BACKFILL_PAGE,
    (row) => row.sid,
  );
}

/** Every live session's text, read without the `principal` column (a table that lacks it). */
async function* everyRow({ dialect, run, idsPage }: Backfill): AsyncIterable<{ json: string }> {
  let after = '';
  for (;;) {
    const now = Date.now();
    const page = await run(dialect.scanIds(after, now, idsPage));
    for (const sid of page) {
      const json = await run(dialect.read(sid, now));
      if (json !== null) yield { json };
    }
    if (page.length < idsPage) return;
    after = page[page.length - 1] as string;
  }
}
