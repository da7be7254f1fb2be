import { CLIENT_SIDE_IDS, COMPARISONS, comparisonLabel, storeSpec, STORES, type Comparison } from './catalog.js';
import { OPERATIONS } from './ops.js';
import type {
  ApiOperation,
  ApiSample,
  ComparisonRatios,
  KindRatios,
  KindSummary,
  Results,
  StoreRow,
  WindowSample,
} from './results.js';
import { cpuMicrosPerRequest, median, perRoundRatios, ratio, summarizeRatios, type RatioSummary } from './stats.js';

/** A table of already formatted cells, rendered for the terminal or as Markdown. */
export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
}

export interface TargetCheck {
  target: string;
  measured: string;
  /** Rounds whose own ratio meets the target, e.g. `5/6`; '' where the check is not per round. */
  rounds: string;
  /** `undefined` when a store it needs was not measured. */
  met: boolean | undefined;
  /** For a miss: by how much, e.g. `short by 0.08× (needs +8 %)`. */
  shortfall?: string;
}

const rate = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? '-' : Math.round(value).toLocaleString('en-US');
const ms = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(value < 10 ? 2 : 1);
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '-');
const count = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(2));
const mib = (value: number) => `${value.toFixed(1)} MiB`;

/** `1.05× (0.98–1.12)`: the median of per-round ratios with their min–max; no range for one round. */
export function formatRatio(summary: RatioSummary): string {
  if (summary.rounds === 0) return '-';
  if (summary.rounds === 1) return times(summary.median);
  return `${times(summary.median)} (${summary.min.toFixed(2)}–${summary.max.toFixed(2)})`;
}

function find(results: Results, id: string): StoreRow | undefined {
  return results.stores.find((row) => row.id === id);
}

const requestsPerSecond = (sample: WindowSample) => sample.requestsPerSecond;

function kindRatios(ours: WindowSample[], theirs: WindowSample[]): KindRatios {
  const over = (metric: (sample: WindowSample) => number) =>
    summarizeRatios(perRoundRatios(ours, theirs, metric).map((entry) => entry.ratio));
  return { requestsPerSecond: over(requestsPerSecond), cpuMicrosPerRequest: over(cpuMicrosPerRequest) };
}

/**
 * The HTTP ratios of one comparison: for requests per second and for server CPU per request, the
 * median of per-round ratios (ours and theirs of the same round) with their min–max.
 * `undefined` when either store has no HTTP figures.
 */
export function comparisonRatios(
  results: Results,
  comparison: Pick<Comparison, 'ours' | 'theirs'>,
): ComparisonRatios | undefined {
  const a = find(results, comparison.ours)?.http;
  const b = find(results, comparison.theirs)?.http;
  if (!a || !b) return undefined;
  return {
    ours: comparison.ours,
    theirs: comparison.theirs,
    read: kindRatios(a.samples.read, b.samples.read),
    write: kindRatios(a.samples.write, b.samples.write),
  };
}

/** The ratios of every comparison whose two stores were measured, in COMPARISONS order. */
export function allRatios(results: Results): ComparisonRatios[] {
  return COMPARISONS.map((comparison) => comparisonRatios(results, comparison)).filter(
    (entry): entry is ComparisonRatios => entry !== undefined,
  );
}

/** Ours/theirs ratios for each comparison: medians of per-round ratios, min–max beside them. */
export function ratioTable(results: Results): Table {
  const rows = COMPARISONS.map((comparison) => {
    const { ours, theirs } = comparison;
    const label = comparisonLabel(comparison);
    const ratios = comparisonRatios(results, comparison);
    if (!ratios) {
      const a = find(results, ours)?.http;
      return [label, `not measured: ${notMeasured(results, !a ? ours : theirs)}`, '', '', '', '', '', ''];
    }
    const a = find(results, ours)!.http!;
    const b = find(results, theirs)!.http!;
    return [
      label,
      String(Math.min(ratios.read.requestsPerSecond.rounds, ratios.write.requestsPerSecond.rounds)),
      formatRatio(ratios.read.requestsPerSecond),
      formatRatio(ratios.write.requestsPerSecond),
      formatRatio(ratios.read.cpuMicrosPerRequest),
      formatRatio(ratios.write.cpuMicrosPerRequest),
      commandsPair(a.read, b.read),
      commandsPair(a.write, b.write),
    ];
  });
  return {
    title:
      'Ours / theirs, HTTP: median of per-round ratios (min–max over the rounds); req/s: higher is better; server CPU per request: lower is better',
    headers: [
      'comparison',
      'rounds',
      'read req/s',
      'write req/s',
      'read CPU/req',
      'write CPU/req',
      'read backend calls',
      'write backend calls',
    ],
    rows,
  };
}

/** Every round's own ratio, for requests per second and CPU per request, per comparison and kind. */
export function perRoundTable(results: Results): Table {
  const ratios = allRatios(results);
  const rounds = Math.max(
    0,
    ...ratios.flatMap((entry) => [entry.read, entry.write].map((kind) => kind.requestsPerSecond.perRound.length)),
  );
  const rows: string[][] = [];
  for (const entry of ratios) {
    for (const kind of ['read', 'write'] as const) {
      for (const [metric, summary] of [
        ['req/s', entry[kind].requestsPerSecond],
        ['CPU/req', entry[kind].cpuMicrosPerRequest],
      ] as const) {
        rows.push([
          `${comparisonLabel(entry)} ${kind} ${metric}`,
          ...Array.from({ length: rounds }, (_, round) =>
            summary.perRound[round] === undefined ? '' : summary.perRound[round]!.toFixed(2),
          ),
          times(summary.median),
        ]);
      }
    }
  }
  return {
    title:
      'Per-round ratios (ours / theirs; ours and theirs measured back to back in each round, the order alternating)',
    headers: ['comparison', ...Array.from({ length: rounds }, (_, round) => `round ${round + 1}`), 'median'],
    rows: rounds > 1 ? rows : [],
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
  return ceiling && find(results, ceiling.id)?.http;
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

/** A ratio target checked on the median of per-round ratios; `atLeast` for req/s, at most for CPU. */
function ratioCheck(
  target: string,
  summary: RatioSummary | undefined,
  threshold: number,
  atLeast: boolean,
): TargetCheck {
  if (!summary || summary.rounds === 0) return { target, measured: 'not measured', rounds: '', met: undefined };
  const meets = (value: number) => (atLeast ? value >= threshold : value <= threshold);
  const met = meets(summary.median);
  const check: TargetCheck = {
    target,
    measured: formatRatio(summary),
    rounds: `${summary.perRound.filter(meets).length}/${summary.rounds}`,
    met,
  };
  if (!met) {
    const gap = Math.abs(summary.median - threshold);
    check.shortfall = atLeast
      ? `short by ${gap.toFixed(2)}× (needs +${Math.ceil(100 * (threshold / summary.median - 1))} %)`
      : `over by ${gap.toFixed(2)}× (${Math.ceil(100 * (summary.median / threshold - 1))} % more CPU per request)`;
  }
  return check;
}

/**
 * The targets: for every comparison with a `target` (catalog.ts), requests per second of each
 * kind at least the target ratio and, against another library's store with a target of 1.0× or
 * more, server CPU per request at most theirs, all on the median of per-round ratios; then the standing checks (Redis command
 * count, bounded memory, replication lag).
 */
export function checkTargets(results: Results): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const comparison of COMPARISONS) {
    if (!comparison.target) continue;
    const ratios = comparisonRatios(results, comparison);
    const label = comparisonLabel(comparison);
    const againstTheirs =
      STORES.some((spec) => spec.id === comparison.theirs) && storeSpec(comparison.theirs).side === 'theirs';
    for (const kind of ['read', 'write'] as const) {
      const threshold = comparison.target[kind];
      if (threshold === undefined) continue;
      checks.push(
        ratioCheck(
          `${label}: ${kind} req/s ≥ ${threshold.toFixed(2)}×`,
          ratios?.[kind].requestsPerSecond,
          threshold,
          true,
        ),
      );
      // A target below 1.0× concedes that ours does more per request: no CPU line then.
      if (againstTheirs && threshold >= 1)
        checks.push(ratioCheck(`${label}: ${kind} CPU/request ≤ theirs`, ratios?.[kind].cpuMicrosPerRequest, 1, false));
    }
  }

  const a = find(results, 'redis-hash')?.http;
  const b = find(results, 'connect-redis')?.http;
  if (STORES.some((spec) => spec.id === 'redis-hash')) {
    checks.push({
      target: 'redis-hash read: half the Redis commands of connect-redis',
      measured:
        a && b
          ? `${count(a.read.sentPerRequest)} vs ${count(b.read.sentPerRequest)} per request (executed: ${count(executed(a.read))} vs ${count(executed(b.read))})`
          : 'not measured',
      rounds: '',
      met: a && b ? ratio(a.read.sentPerRequest, b.read.sentPerRequest) <= 0.5 + 0.01 : undefined,
    });
  }
  const ours = find(results, 'memory')?.footprint;
  const theirs = find(results, 'MemoryStore')?.footprint;
  const last = <T>(list: T[] | undefined) => list?.[list.length - 1];
  checks.push({
    target: 'memory: bounded where MemoryStore grows without limit',
    measured:
      ours && theirs
        ? `after ${last(ours)!.inserted / 1000}k written: memory holds ${last(ours)!.held.toLocaleString('en-US')} in ${mib(last(ours)!.rssMiB)}, MemoryStore ${last(theirs)!.held.toLocaleString('en-US')} in ${mib(last(theirs)!.rssMiB)}`
        : 'not measured',
    rounds: '',
    met:
      ours && theirs
        ? last(ours)!.held <= results.settings.footprintMax && last(theirs)!.held > results.settings.footprintMax
        : undefined,
  });
  checks.push({
    target: 'cluster replication lag p99 < 10 ms (loopback)',
    measured: results.lag ? `p99 ${ms(results.lag.p99Ms)} ms, median ${ms(results.lag.medianMs)} ms` : 'not measured',
    rounds: '',
    met: results.lag ? results.lag.p99Ms < 10 && results.lag.lost === 0 : undefined,
    ...(results.lag && !(results.lag.p99Ms < 10 && results.lag.lost === 0)
      ? {
          shortfall:
            results.lag.lost > 0
              ? `${results.lag.lost} writes not seen within 5 s`
              : `p99 over by ${ms(results.lag.p99Ms - 10)} ms`,
        }
      : {}),
  });
  return checks;
}

export function targetsTable(results: Results): Table {
  return {
    title: 'Targets (ratios: median of per-round ratios, min–max beside it)',
    headers: ['target', 'measured', 'rounds meeting it', 'result'],
    rows: checkTargets(results).map((check) => [
      check.target,
      check.measured,
      check.rounds,
      check.met === undefined
        ? 'not measured'
        : check.met
          ? 'met'
          : check.shortfall
            ? `MISSED: ${check.shortfall}`
            : 'MISSED',
    ]),
  };
}

const API_OPERATION_ORDER: readonly ApiOperation[] = ['get', 'touch', 'set'];

/**
 * What one request costs through the store, round by round, from the samples of the calls it
 * makes (e.g. a read request is get + touch): time per request is the sum of the calls' times,
 * so requests per second = 1 / Σ(1 / calls per second), and CPU per request = Σ CPU per call.
 * Rounds missing either call are left out.
 */
export function requestSamples(...calls: ApiSample[][]): ApiSample[] {
  const rounds = new Set(calls[0]?.map((sample) => sample.round));
  for (const samples of calls.slice(1))
    for (const round of [...rounds]) if (!samples.some((sample) => sample.round === round)) rounds.delete(round);
  return [...rounds]
    .sort((a, b) => a - b)
    .map((round) => {
      const inRound = calls.map((samples) => samples.find((sample) => sample.round === round)!);
      return {
        round,
        opsPerSecond: 1 / inRound.reduce((sum, sample) => sum + 1 / sample.opsPerSecond, 0),
        cpuMicrosPerCall: inRound.reduce((sum, sample) => sum + sample.cpuMicrosPerCall, 0),
        calls: Math.min(...inRound.map((sample) => sample.calls)),
      };
    });
}

/**
 * The Store API micro-benchmark: per comparison and call, each side's median calls per second
 * and CPU per call, and ours/theirs as the median of per-round ratios (min–max); then what the
 * store part of a read request (get + touch) and of a write request (get + set) costs.
 */
export function storeApiTable(results: Results): Table {
  const rows: string[][] = [];
  const line = (label: string, call: string, ours: ApiSample[], theirs: ApiSample[]) => {
    const over = (metric: (sample: ApiSample) => number) =>
      summarizeRatios(perRoundRatios(ours, theirs, metric).map((entry) => entry.ratio));
    const mid = (samples: ApiSample[], metric: (sample: ApiSample) => number) => median(samples.map(metric));
    rows.push([
      label,
      call,
      rate(mid(ours, (sample) => sample.opsPerSecond)),
      rate(mid(theirs, (sample) => sample.opsPerSecond)),
      formatRatio(over((sample) => sample.opsPerSecond)),
      `${count(mid(ours, (sample) => sample.cpuMicrosPerCall))} / ${count(mid(theirs, (sample) => sample.cpuMicrosPerCall))}`,
      formatRatio(over((sample) => sample.cpuMicrosPerCall)),
    ]);
  };
  for (const pair of results.storeApi?.pairs ?? []) {
    for (const operation of API_OPERATION_ORDER) {
      const slot = pair.samples[operation];
      if (slot) line(comparisonLabel(pair), operation, slot.ours, slot.theirs);
    }
    const { get, touch, set } = pair.samples;
    if (get && touch)
      line(
        comparisonLabel(pair),
        'read request (get + touch)',
        requestSamples(get.ours, touch.ours),
        requestSamples(get.theirs, touch.theirs),
      );
    if (get && set)
      line(
        comparisonLabel(pair),
        'write request (get + set)',
        requestSamples(get.ours, set.ours),
        requestSamples(get.theirs, set.theirs),
      );
  }
  for (const skip of results.storeApi?.skipped ?? [])
    rows.push([skip.comparison, `not measured: ${skip.reason}`, '', '', '', '', '']);
  return {
    title:
      "Store API micro-benchmark: express-session's callback API in one process, no HTTP (calls/s: higher is better; CPU per call: lower is better)",
    headers: [
      'comparison',
      'call',
      'ours calls/s',
      'theirs calls/s',
      'ours / theirs calls/s',
      'CPU µs/call ours / theirs',
      'ours / theirs CPU/call',
    ],
    rows,
  };
}

export function skippedTable(results: Results): Table {
  return {
    title: 'Skipped',
    headers: ['store', 'reason'],
    rows: results.skipped.map((skip) => [skip.id, skip.reason]),
  };
}

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

export function renderText(table: Table): string {
  const widths = table.headers.map((header, column) =>
    Math.max(header.length, ...table.rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  return [
    table.title,
    line(table.headers),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...table.rows.map(line),
  ].join('\n');
}

export function renderMarkdown(table: Table): string {
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|');
  return [
    `| ${table.headers.map(escapeCell).join(' | ')} |`,
    `| ${table.headers.map((_, column) => (column === 0 ? '---' : '---:')).join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`),
  ].join('\n');
}
