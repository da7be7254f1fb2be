import { readFileSync, writeFileSync } from 'node:fs';
import type { ScenarioResult } from './scenario-run.js';

export interface Report {
  generatedAt: string;
  /** `quick` runs fewer shoppers; the docs hold a full run. */
  mode: 'full' | 'quick';
  shoppers: number;
  instances: number;
  concurrency: number;
  node: string;
  /** CPU cores of the machine. */
  cpus: number;
  results: ScenarioResult[];
}

export const RESULTS_START = '<!-- scenario-results:start -->';
export const RESULTS_END = '<!-- scenario-results:end -->';

const HEADERS = [
  'Strategy',
  'Store',
  'Routing',
  'Carts intact',
  'Intact after a kill',
  'Both concurrent adds kept',
  'Requests per instance',
  'Cookie B/request',
  'p50 ms',
  'p99 ms',
];

function cells(result: ScenarioResult): string[] {
  const head = [result.strategy, result.store, result.routing];
  if (result.status !== 'ok')
    return [...head, `${result.status}: ${result.reason ?? ''}`, ...HEADERS.slice(4).map(() => '')];
  const of = (n: number | undefined) =>
    n === undefined ? '-' : `${n}/${result.shoppers} (${Math.round((100 * n) / (result.shoppers ?? 1))} %)`;
  return [
    ...head,
    of(result.cartsIntact),
    `${of(result.cartsIntactAfterKill)}, ${result.killed} killed`,
    of(result.concurrentAddsKept),
    Object.values(result.requestsPerInstance ?? {}).join(' / '),
    result.cookieBytesPerRequest === undefined ? '-' : String(Math.round(result.cookieBytesPerRequest)),
    String(result.p50Ms),
    String(result.p99Ms),
  ];
}

/** A plain-text table for the terminal; a row that did not run shows its reason after the first columns. */
export function terminalTable(report: Report): string {
  const rows = report.results.map((result) => ({ ran: result.status === 'ok', cells: cells(result) }));
  const widths = HEADERS.map((header, i) =>
    Math.max(header.length, ...rows.filter((row) => row.ran || i < 3).map((row) => row.cells[i]!.length)),
  );
  const pad = (values: string[]) => values.map((value, i) => value.padEnd(widths[i]!)).join('  ');
  return [
    pad(HEADERS),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.map(({ ran, cells }) => (ran ? pad(cells) : `${pad(cells.slice(0, 3))}  ${cells[3]}`).trimEnd()),
  ].join('\n');
}

/** The results section of docs/strategies.md. */
export function markdownSection(report: Report): string {
  const escapeCell = (text: string) => text.replaceAll('|', '\\|');
  const table = [
    `| ${HEADERS.join(' | ')} |`,
    `|${HEADERS.map((_, i) => (i >= 3 ? ' ---: ' : ' --- ')).join('|')}|`,
    ...report.results.map((r) => `| ${cells(r).map(escapeCell).join(' | ')} |`),
  ];
  const loads = report.results.flatMap((r) => (r.loadAverage === undefined ? [] : [r.loadAverage]));
  const load = loads.length
    ? ` The 1-minute load average ranged from ${Math.min(...loads)} to ${Math.max(...loads)} on ${report.cpus} cores: latency differences between rows are partly the machine's.`
    : '';
  return [
    RESULTS_START,
    `Measured by \`pnpm demo:scenarios\` on ${report.generatedAt.slice(0, 10)} (Node ${report.node}, ${report.instances} instances, ` +
      `${report.shoppers} shoppers per group, ${report.concurrency} at a time; raw figures in [strategies-results.json](strategies-results.json)).${load}`,
    '',
    ...table,
    ...notes(report),
    RESULTS_END,
  ].join('\n');
}

/** Footnotes for what would otherwise be misread: unanswered reads, health checks failing under load. */
function notes(report: Report): string[] {
  const lines = report.results.flatMap((r) => {
    const said: string[] = [];
    const [before = 0, after = 0] = r.cartsUnreadable ?? [];
    if (before + after > 0)
      said.push(`${before} + ${after} carts counted as not intact were reads that got no answer, not missing items`);
    if (r.downsBeforeKill)
      said.push(
        `the balancer marked an instance down ${r.downsBeforeKill} time(s) before the kill (health checks on a busy machine)`,
      );
    return said.length ? [`- ${r.strategy}: ${said.join('; ')}.`] : [];
  });
  return lines.length ? ['', ...lines] : [];
}

/** Replaces the text between the result markers of `file`. Throws when the markers are missing. */
export function updateDocs(file: string, report: Report): void {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(RESULTS_START);
  const end = text.indexOf(RESULTS_END);
  if (start === -1 || end < start) throw new Error(`${file} has no ${RESULTS_START} … ${RESULTS_END} markers`);
  writeFileSync(file, text.slice(0, start) + markdownSection(report) + text.slice(end + RESULTS_END.length));
}
