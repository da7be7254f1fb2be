// Per-store tables: HTTP figures, client-side storage, backend work, store throughput, memory,
// replication lag and what was skipped.
import { CLIENT_SIDE_IDS, STORES } from './catalog.js';
import { OPERATIONS } from './ops.js';
import { count, mib, ms, rate } from './report-format.js';
import type { Table } from './report-table.js';
import { storeRow, type KindSummary, type Results, type StoreRow } from './results.js';
import { ratio } from './stats.js';

function cpuCell(summary: KindSummary): string {
  const range = summary.cpuMicrosPerRequestRange;
  return range
    ? `${rate(summary.cpuMicrosPerRequest)} (${rate(range[0])}–${rate(range[1])})`
    : rate(summary.cpuMicrosPerRequest);
}

/** The no-session ceiling of store `id`'s app (`fastify:none` for the Fastify rows, else `none`), if measured. */
function ceilingOf(results: Results, id: string): StoreRow['http'] {
  const framework = STORES.find((spec) => spec.id === id)?.framework ?? 'express';
  const ceiling = STORES.find((spec) => spec.side === 'ceiling' && (spec.framework ?? 'express') === framework);
  return ceiling && storeRow(results, ceiling.id)?.http;
}

/** Every store's HTTP figures: medians over the rounds; read req/s as a share of the same app without sessions. */
export function httpTable(results: Results): Table {
  return {
    title: 'HTTP, per store (medians over the rounds)',
    headers: [
      'store',
      'side',
      'read req/s',
      'read p50 / p99 ms',
      'write req/s',
      'write p50 / p99 ms',
      'read CPU µs/req (min–max)',
      'write CPU µs/req (min–max)',
      'backend calls/req read / write',
      'read % of no-session',
    ],
    rows: results.stores
      .filter((row) => row.http)
      .map((row) => {
        const { read, write } = row.http!;
        const failures = read.failures + write.failures;
        const ceiling = ceilingOf(results, row.id);
        return [
          row.id + (failures > 0 ? ` (${failures} failed requests)` : ''),
          row.side,
          rate(read.requestsPerSecond),
          `${ms(read.p50Ms)} / ${ms(read.p99Ms)}`,
          rate(write.requestsPerSecond),
          `${ms(write.p50Ms)} / ${ms(write.p99Ms)}`,
          cpuCell(read),
          cpuCell(write),
          `${count(read.sentPerRequest)} / ${count(write.sentPerRequest)}`,
          ceiling ? `${Math.round(100 * ratio(read.requestsPerSecond, ceiling.read.requestsPerSecond))}%` : '-',
        ];
      }),
  };
}

/** The client-side storage rows side by side: throughput, CPU and what the session costs in headers. */
export function clientSideTable(results: Results): Table {
  const bytes = (summary: KindSummary) =>
    summary.requestHeaderBytesPerRequest === undefined
      ? '-'
      : `${rate(summary.requestHeaderBytesPerRequest)} + ${rate(summary.responseHeaderBytesPerRequest)}`;
  return {
    title:
      'Client-side storage: the same app on sealed or signed cookies (header bytes: request + response, per request)',
    headers: [
      'library',
      'read req/s',
      'write req/s',
      'CPU µs/req read / write',
      'header bytes read',
      'header bytes write',
    ],
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
    rows: results.stores
      .filter((row) => row.http?.read.executedPerRequest)
      .map((row) => [row.id, breakdown(row.http!.read), breakdown(row.http!.write)]),
  };
}

export function opsTable(results: Results): Table {
  return {
    title: `Store throughput, operations per second (concurrency ${results.settings.opsConcurrency}, each library's own API)`,
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
    rows: lag
      ? [[String(lag.samples), ms(lag.medianMs), ms(lag.p99Ms), ms(lag.maxMs), String(lag.lost)]]
      : [[`not measured: ${results.lagSkipped ?? 'cluster skipped'}`, '', '', '', '']],
  };
}

export function skippedTable(results: Results): Table {
  return {
    title: 'Skipped',
    headers: ['store', 'reason'],
    rows: results.skipped.map((skip) => [skip.id, skip.reason]),
  };
}
