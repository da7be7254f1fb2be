// The ours/theirs ratios of the HTTP comparisons, and the two tables built on them.
import { COMPARISONS, comparisonLabel, type Comparison } from './catalog.js';
import { count, formatRatio, times } from './report-format.js';
import type { Table } from './report-table.js';
import {
  storeRow,
  type ComparisonRatios,
  type KindRatios,
  type KindSummary,
  type Results,
  type WindowSample,
} from './results.js';
import { cpuMicrosPerRequest, perRoundRatios, summarizeRatios } from './stats.js';

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
  const a = storeRow(results, comparison.ours)?.http;
  const b = storeRow(results, comparison.theirs)?.http;
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
      const a = storeRow(results, ours)?.http;
      return [label, `not measured: ${notMeasured(results, !a ? ours : theirs)}`, '', '', '', '', '', ''];
    }
    const a = storeRow(results, ours)!.http!;
    const b = storeRow(results, theirs)!.http!;
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
