// The targets the bench checks its figures against, and their table.
import { COMPARISONS, comparisonLabel, storeSpec, STORES } from './catalog.js';
import { comparisonRatios } from './ratio-tables.js';
import { count, formatRatio, mib, ms } from './report-format.js';
import type { Table } from './report-table.js';
import { storeRow, type KindSummary, type Results } from './results.js';
import { ratio, type RatioSummary } from './stats.js';

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

/** Commands the backend executed per request (for Redis: those a Lua script runs included). */
function executed(summary: KindSummary): number | undefined {
  return summary.executedPerRequest && Object.values(summary.executedPerRequest).reduce((sum, calls) => sum + calls, 0);
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

  const a = storeRow(results, 'redis-hash')?.http;
  const b = storeRow(results, 'connect-redis')?.http;
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
  const ours = storeRow(results, 'memory')?.footprint;
  const theirs = storeRow(results, 'MemoryStore')?.footprint;
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
