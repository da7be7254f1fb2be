// The report: every table in the order the terminal and docs/benchmarks.md show them. The tables
// live in files of their own; this module is also the one the rest of the bench imports them from.
import { perRoundTable, ratioTable } from './ratio-tables.js';
import type { Table } from './report-table.js';
import { storeApiTable } from './store-api-table.js';
import {
  clientSideTable,
  executedTable,
  httpTable,
  lagTable,
  memoryTable,
  opsTable,
  skippedTable,
} from './store-tables.js';
import type { Results } from './results.js';
import { targetsTable } from './targets.js';

export { allRatios, comparisonRatios, perRoundTable, ratioTable } from './ratio-tables.js';
export { formatRatio } from './report-format.js';
export { renderMarkdown, renderText, type Table } from './report-table.js';
export { requestSamples, storeApiTable } from './store-api-table.js';
export {
  clientSideTable,
  executedTable,
  httpTable,
  lagTable,
  memoryTable,
  opsTable,
  skippedTable,
} from './store-tables.js';
export { checkTargets, targetsTable, type TargetCheck } from './targets.js';

/** The tables in report order; empty ones left out. */
export function allTables(results: Results): Table[] {
  return [
    ratioTable(results),
    perRoundTable(results),
    targetsTable(results),
    storeApiTable(results),
    httpTable(results),
    clientSideTable(results),
    executedTable(results),
    opsTable(results),
    memoryTable(results),
    lagTable(results),
    skippedTable(results),
  ].filter((table) => table.rows.length > 0);
}
