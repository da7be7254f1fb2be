/** Middle value of `values` (mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const finite = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const middle = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? finite[middle]! : (finite[middle - 1]! + finite[middle]!) / 2;
}

/** The `p`-th percentile (0..100) of `values` by the nearest-rank method; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** `ours / theirs`, or NaN when either side is missing or `theirs` is zero. */
export function ratio(ours: number | undefined, theirs: number | undefined): number {
  if (
    ours === undefined ||
    theirs === undefined ||
    !Number.isFinite(ours) ||
    !Number.isFinite(theirs) ||
    theirs === 0
  ) {
    return Number.NaN;
  }
  return ours / theirs;
}

/** A measurement taken in one round; `round` is absent in results recorded before rounds were numbered. */
export interface InRound {
  round?: number;
}

/**
 * One ratio per round in which both sides were measured: `metric(ours) / metric(theirs)` of the
 * samples of that round, in round order. Samples without a round number count by their position
 * (results recorded before rounds were numbered); rounds where either side is missing or a
 * metric is not finite are left out.
 */
export function perRoundRatios<T extends object>(
  ours: readonly T[],
  theirs: readonly T[],
  metric: (sample: T) => number,
): { round: number; ratio: number }[] {
  const byRound = (samples: readonly T[]) =>
    new Map(samples.map((sample, index) => [(sample as InRound).round ?? index, sample]));
  const theirsByRound = byRound(theirs);
  const ratios: { round: number; ratio: number }[] = [];
  for (const [round, sample] of [...byRound(ours)].sort(([a], [b]) => a - b)) {
    const other = theirsByRound.get(round);
    if (!other) continue;
    const value = ratio(metric(sample), metric(other));
    if (Number.isFinite(value)) ratios.push({ round, ratio: value });
  }
  return ratios;
}

/** The median of per-round ratios with their spread; `rounds` is how many rounds it is taken over. */
export interface RatioSummary {
  median: number;
  min: number;
  max: number;
  rounds: number;
  /** Each round's ratio, in round order. */
  perRound: number[];
}

/** Median, min and max of per-round ratios; NaN figures and 0 rounds when there are none. */
export function summarizeRatios(perRound: readonly number[]): RatioSummary {
  const finite = perRound.filter((value) => Number.isFinite(value));
  return {
    median: median(finite),
    min: finite.length ? Math.min(...finite) : Number.NaN,
    max: finite.length ? Math.max(...finite) : Number.NaN,
    rounds: finite.length,
    perRound: finite,
  };
}

/** The server's own counters at one instant (see server.ts `mark`): totals since it started. */
export interface CounterMark {
  /** User + system CPU time of the process, microseconds. */
  cpuMicros: number;
  requests: number;
  /** Backend calls (SQL statements, Redis commands) its driver sent. */
  sent: number;
}

/** What the server did between two marks: requests served, CPU time spent and backend calls sent. */
export function windowCounters(before: CounterMark, after: CounterMark): CounterMark {
  return {
    cpuMicros: after.cpuMicros - before.cpuMicros,
    requests: after.requests - before.requests,
    sent: after.sent - before.sent,
  };
}

/** Process CPU microseconds per request in a window; NaN when the window served no request. */
export function cpuMicrosPerRequest(window: { cpuMicros: number; requests: number }): number {
  return window.requests > 0 ? window.cpuMicros / window.requests : Number.NaN;
}

/** User + system microseconds of a `process.cpuUsage()` reading. */
export function cpuMicros(usage: { user: number; system: number }): number {
  return usage.user + usage.system;
}
