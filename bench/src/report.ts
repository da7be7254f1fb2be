import { CLIENT_SIDE_IDS, COMPARISONS } from './catalog.js';
import { OPERATIONS } from './ops.js';
import type { HttpResult, KindSummary, Results, StoreRow, WindowSample } from './results.js';
import { median, ratio } from './stats.js';

/** A table of already formatted cells, rendered for the terminal or as Markdown. */
export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
}

export interface TargetCheck {
  target: string;
  measured: string;
  /** `undefined` when a store it needs was not measured. */
  met: boolean | undefined;
}

const rate = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '-' : Math.round(value).toLocaleString('en-US'));
const ms = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(value < 10 ? 2 : 1));
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '-');
const count = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(2));
const mib = (value: number) => `${value.toFixed(1)} MiB`;

function find(results: Results, id: string): StoreRow | undefined {
  return results.stores.find((row) => row.id === id);
}

const perSecond = (sample: WindowSample) => sample.requestsPerSecond;
const cpuPerRequest = (sample: WindowSample) => sample.cpuMicros / sample.requests;

/**
 * Ours / theirs for one request kind: the median over the rounds of the ratio within each round
 * (both measured in the same round, a minute apart at most, so machine drift between rounds
 * cancels), or the ratio of the medians when the rounds do not pair up.
 */
export function roundRatio(ours: HttpResult, theirs: HttpResult, kind: 'read' | 'write', metric: 'requestsPerSecond' | 'cpuMicrosPerRequest'): number {
  const a = ours.samples[kind];
  const b = theirs.samples[kind];
  const value = metric === 'requestsPerSecond' ? perSecond : cpuPerRequest;
  if (a.length > 0 && a.length === b.length) return median(a.map((sample, round) => ratio(value(sample), value(b[round]!))));
  return ratio(ours[kind][metric], theirs[kind][metric]);
}

/** Ours/theirs ratios for each pair of COMPARISONS (medians of per-round ratios); requests/s above 1× is better, CPU and commands below. */
export function ratioTable(results: Results): Table {
  const rows = COMPARISONS.map(({ ours, theirs }) => {
    const a = find(results, ours)?.http;
    const b = find(results, theirs)?.http;
    const label = `${ours} vs ${theirs}`;
    if (!a || !b) return [label, `not measured: ${notMeasured(results, !a ? ours : theirs)}`, '', '', '', '', ''];
    return [
      label,
      times(roundRatio(a, b, 'read', 'requestsPerSecond')),
      times(roundRatio(a, b, 'write', 'requestsPerSecond')),
      times(roundRatio(a, b, 'read', 'cpuMicrosPerRequest')),
      times(roundRatio(a, b, 'write', 'cpuMicrosPerRequest')),
      commandsPair(a.read, b.read),
      commandsPair(a.write, b.write),
    ];
  });
  return {
    title: 'Ours / theirs (HTTP, medians of per-round ratios; req/s: higher is better; server CPU per request: lower is better)',
    headers: ['comparison', 'read req/s', 'write req/s', 'read CPU/req', 'write CPU/req', 'read backend calls', 'write backend calls'],
    rows,
  };
}

/** Why store `id` has no figures: its skip reason, or that it was not selected. */
function notMeasured(results: Results, id: string): string {
  return results.skipped.some((skip) => skip.id === id) ? `${id} skipped` : `${id} not selected`;
}

function commandsPair(ours: KindSummary, theirs: KindSummary): string {
  if (ours.sentPerRequest === undefined || theirs.sentPerRequest === undefined) return '-';
  return `${count(ours.sentPerRequest)} vs ${count(theirs.sentPerRequest)}`;
}

/** Every store's HTTP figures: medians over the rounds. */
export function httpTable(results: Results): Table {
  const ceiling = find(results, 'none')?.http;
  return {
    title: 'HTTP, per store (medians over the rounds)',
    headers: [
      'store',
      'side',
      'read req/s',
      'read p50 / p99 ms',
      'write req/s',
      'write p50 / p99 ms',
      'CPU µs/req read / write',
      'backend calls/req read / write',
      'read % of no-session',
    ],
    rows: results.stores
      .filter((row) => row.http)
      .map((row) => {
        const { read, write } = row.http!;
        const failures = read.failures + write.failures;
        return [
          row.id + (failures > 0 ? ` (${failures} failed requests)` : ''),
          row.side,
          rate(read.requestsPerSecond),
          `${ms(read.p50Ms)} / ${ms(read.p99Ms)}`,
          rate(write.requestsPerSecond),
          `${ms(write.p50Ms)} / ${ms(write.p99Ms)}`,
          `${rate(read.cpuMicrosPerRequest)} / ${rate(write.cpuMicrosPerRequest)}`,
          `${count(read.sentPerRequest)} / ${count(write.sentPerRequest)}`,
          ceiling ? `${Math.round(100 * ratio(read.requestsPerSecond, ceiling.read.requestsPerSecond))}%` : '-',
        ];
      }),
  };
}

/** The client-side storage rows side by side: throughput, CPU and what the session costs in headers. */
export function clientSideTable(results: Results): Table {
  const bytes = (summary: KindSummary) =>
    summary.requestHeaderBytesPerRequest === undefined ? '-' : `${rate(summary.requestHeaderBytesPerRequest)} + ${rate(summary.responseHeaderBytesPerRequest)}`;
  return {
    title: 'Client-side storage: the same app on sealed or signed cookies (header bytes: request + response, per request)',
    headers: ['library', 'read req/s', 'write req/s', 'CPU µs/req read / write', 'header bytes read', 'header bytes write'],
    rows: results.stores
      .filter((row) => row.http && CLIENT_SIDE_IDS.includes(row.id))
      .map((row) => {
        const { read, write } = row.http!;
        const failures = read.failures + write.failures;
        return [
          row.id + (failures > 0 ? ` (${failures} failed requests)` : ''),
          rate(read.requestsPerSecond),
          rate(write.requestsPerSecond),
          `${rate(read.cpuMicrosPerRequest)} / ${rate(write.cpuMicrosPerRequest)}`,
          bytes(read),
          bytes(write),
        ];
      }),
  };
}

/** Commands the backend executed per request (for Redis: those a Lua script runs included). */
function executed(summary: KindSummary): number | undefined {
  return summary.executedPerRequest && Object.values(summary.executedPerRequest).reduce((sum, calls) => sum + calls, 0);
}

/** Per request: statements or commands the server sent, and what the backend executed, by command. */
export function executedTable(results: Results): Table {
  const breakdown = (summary: KindSummary) =>
    `${count(summary.sentPerRequest)} sent; executed: ${Object.entries(summary.executedPerRequest ?? {})
      .filter(([, calls]) => calls >= 0.005)
      .sort(([, a], [, b]) => b - a)
      .map(([command, calls]) => `${command} ${calls.toFixed(2)}`)
      .join(', ')}`;
  return {
    title:
      'Backend work per request: sent by the server; executed by Redis (INFO commandstats, commands inside a Lua script included) or MariaDB (global Com_* counters: other clients of the server included)',
    headers: ['store', 'read', 'write'],
    rows: results.stores.filter((row) => row.http?.read.executedPerRequest).map((row) => [row.id, breakdown(row.http!.read), breakdown(row.http!.write)]),
  };
}

export function opsTable(results: Results): Table {
  return {
    title: `Store API operations per second (concurrency ${results.settings.opsConcurrency}, each library's own API)`,
    headers: ['store', 'side', ...OPERATIONS],
    rows: results.stores
      .filter((row) => row.ops)
      .map((row) => [
        row.id + (row.opsErrors ? ` (${row.opsErrors} errors)` : ''),
        row.side,
        ...OPERATIONS.map((operation) => (row.ops![operation] === undefined ? 'n/a' : rate(row.ops![operation]))),
      ]),
  };
}

export function memoryTable(results: Results): Table {
  const steps = results.settings.footprintSteps;
  return {
    title: `Resident memory of in-process stores (RSS growth after GC; ours bounded at ${results.settings.footprintMax.toLocaleString('en-US')} sessions)`,
    headers: ['store', 'RSS per 100k sessions', ...steps.map((step) => `${step / 1000}k written: RSS (sessions held)`)],
    rows: results.stores
      .filter((row) => row.footprint)
      .map((row) => [
        row.id,
        mib((row.footprint![0]!.rssMiB * 100_000) / row.footprint![0]!.held),
        ...row.footprint!.map((step) => `${mib(step.rssMiB)} (${step.held.toLocaleString('en-US')})`),
      ]),
  };
}

export function lagTable(results: Results): Table {
  const lag = results.lag;
  return {
    title: 'Cluster replication lag, 3 nodes on loopback (write on A → readable on B)',
    headers: ['samples', 'median ms', 'p99 ms', 'max ms', 'not seen in 5 s'],
    rows: lag ? [[String(lag.samples), ms(lag.medianMs), ms(lag.p99Ms), ms(lag.maxMs), String(lag.lost)]] : [[`not measured: ${results.lagSkipped ?? 'cluster skipped'}`, '', '', '', '']],
  };
}

/** The targets, each checked on this run's figures. */
export function checkTargets(results: Results): TargetCheck[] {
  const http = (id: string) => find(results, id)?.http;
  const checks: TargetCheck[] = [];
  const rpsTarget = (ours: string, theirs: string, kind: 'read' | 'write', min: number) => {
    const a = http(ours);
    const b = http(theirs);
    const value = a && b ? roundRatio(a, b, kind, 'requestsPerSecond') : Number.NaN;
    checks.push({
      target: `${ours} ${kind} req/s ≥ ${min.toFixed(1)}× ${theirs}`,
      measured: a && b ? `${times(value)} (${rate(a[kind].requestsPerSecond)} vs ${rate(b[kind].requestsPerSecond)})` : 'not measured',
      met: a && b ? value >= min : undefined,
    });
  };
  rpsTarget('redis-hash', 'connect-redis', 'read', 1.2);
  const a = http('redis-hash');
  const b = http('connect-redis');
  const commands = ratio(a?.read.sentPerRequest, b?.read.sentPerRequest);
  checks.push({
    target: 'redis-hash read: half the Redis commands of connect-redis',
    measured: a && b ? `${count(a.read.sentPerRequest)} vs ${count(b.read.sentPerRequest)} per request (executed: ${count(executed(a.read))} vs ${count(executed(b.read))})` : 'not measured',
    met: a && b ? commands <= 0.5 + 0.01 : undefined,
  });
  rpsTarget('redis-hash', 'connect-redis', 'write', 1.0);
  rpsTarget('sql:postgres', 'connect-pg-simple', 'read', 1.3);
  rpsTarget('memory', 'MemoryStore', 'read', 1.0);
  rpsTarget('memory', 'MemoryStore', 'write', 1.0);
  const ours = find(results, 'memory')?.footprint;
  const theirs = find(results, 'MemoryStore')?.footprint;
  const last = <T>(list: T[] | undefined) => list?.[list.length - 1];
  checks.push({
    target: 'memory: bounded where MemoryStore grows without limit',
    measured:
      ours && theirs
        ? `after ${last(ours)!.inserted / 1000}k written: memory holds ${last(ours)!.held.toLocaleString('en-US')} in ${mib(last(ours)!.rssMiB)}, MemoryStore ${last(theirs)!.held.toLocaleString('en-US')} in ${mib(last(theirs)!.rssMiB)}`
        : 'not measured',
    met: ours && theirs ? last(ours)!.held <= results.settings.footprintMax && last(theirs)!.held > results.settings.footprintMax : undefined,
  });
  rpsTarget('cluster', 'memory', 'read', 0.9);
  rpsTarget('fastify:redis-hash', 'fastify:connect-redis', 'read', 1.0);
  rpsTarget('cookieSession', 'iron-session', 'read', 1.2);
  rpsTarget('cookieSession', 'iron-session', 'write', 1.2);
  rpsTarget('cookieSession', 'cookie-session', 'read', 0.9);
  rpsTarget('cookieSession', 'cookie-session', 'write', 0.9);
  checks.push({
    target: 'cluster replication lag p99 < 10 ms (loopback)',
    measured: results.lag ? `p99 ${ms(results.lag.p99Ms)} ms, median ${ms(results.lag.medianMs)} ms` : 'not measured',
    met: results.lag ? results.lag.p99Ms < 10 && results.lag.lost === 0 : undefined,
  });
  return checks;
}

export function targetsTable(results: Results): Table {
  return {
    title: 'Targets',
    headers: ['target', 'measured', 'result'],
    rows: checkTargets(results).map((check) => [check.target, check.measured, check.met === undefined ? 'not measured' : check.met ? 'met' : 'MISSED']),
  };
}

export function skippedTable(results: Results): Table {
  return { title: 'Skipped', headers: ['store', 'reason'], rows: results.skipped.map((skip) => [skip.id, skip.reason]) };
}

/** The tables in report order; empty ones left out. */
export function allTables(results: Results): Table[] {
  return [ratioTable(results), targetsTable(results), httpTable(results), clientSideTable(results), executedTable(results), opsTable(results), memoryTable(results), lagTable(results), skippedTable(results)].filter(
    (table) => table.rows.length > 0,
  );
}

export function renderText(table: Table): string {
  const widths = table.headers.map((header, column) => Math.max(header.length, ...table.rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [table.title, line(table.headers), widths.map((width) => '-'.repeat(width)).join('  '), ...table.rows.map(line)].join('\n');
}

export function renderMarkdown(table: Table): string {
  const escape = (cell: string) => cell.replaceAll('|', '\\|');
  return [
    `| ${table.headers.map(escape).join(' | ')} |`,
    `| ${table.headers.map((_, column) => (column === 0 ? '---' : '---:')).join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}
