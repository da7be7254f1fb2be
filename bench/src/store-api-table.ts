// The Store API micro-benchmark's table: calls and requests through each store's own API, no HTTP.
import { comparisonLabel } from './catalog.js';
import { count, formatRatio, rate } from './report-format.js';
import type { Table } from './report-table.js';
import type { ApiOperation, ApiSample, Results } from './results.js';
import { median, perRoundRatios, summarizeRatios } from './stats.js';

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
