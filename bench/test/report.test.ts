import { describe, expect, it } from 'vitest';
import { renderChart } from '../src/chart.js';
import { renderDocs } from '../src/docs.js';
import { checkTargets, ratioTable, renderMarkdown, renderText } from '../src/report.js';
import type { KindSummary, Results, StoreRow } from '../src/results.js';
import { QUICK } from '../src/settings.js';
import { median, percentile } from '../src/stats.js';

const kind = (requestsPerSecond: number, sentPerRequest?: number): KindSummary => ({
  requestsPerSecond,
  p50Ms: 1,
  p99Ms: 5,
  cpuMicrosPerRequest: 100,
  failures: 0,
  ...(sentPerRequest === undefined ? {} : { sentPerRequest }),
});

const row = (id: string, side: StoreRow['side'], read: KindSummary, write: KindSummary): StoreRow => ({
  id,
  side,
  description: id,
  http: { read, write, samples: { read: [], write: [] } },
});

function results(stores: StoreRow[], skipped: Results['skipped']): Results {
  return {
    command: 'pnpm bench --quick',
    mode: 'quick',
    startedAt: '2026-01-01T00:00:00.000Z',
    elapsedS: 60,
    machine: { cpu: 'test cpu', cores: 2, memoryGiB: 4, os: 'Linux', node: 'v20', engines: { redis: 'Redis 7' } },
    settings: QUICK,
    stores,
    skipped,
  };
}

describe('report', () => {
  const measured = results(
    [row('none', 'ceiling', kind(1000), kind(1000)), row('connect-redis', 'theirs', kind(400, 2), kind(300, 2)), row('redis-hash', 'ours', kind(600, 1), kind(330, 2))],
    [{ id: 'connect-pg-simple', reason: 'PostgreSQL at postgres://127.0.0.1:5432/test not reachable' }],
  );

  it('computes ours/theirs ratios from the medians', () => {
    const table = ratioTable(measured);
    const redis = table.rows.find((cells) => cells[0] === 'redis-hash vs connect-redis')!;
    expect(redis.slice(1, 3)).toEqual(['1.50×', '1.10×']);
    expect(redis[5]).toBe('1.00 vs 2.00');
  });

  it('takes the median of per-round ratios when the rounds pair up', () => {
    const sample = (requestsPerSecond: number, cpuMicros: number) => ({ requestsPerSecond, p50Ms: 1, p99Ms: 5, failures: 0, requests: 100, cpuMicros });
    const withRounds = (id: string, side: StoreRow['side'], rates: number[], cpu: number[]): StoreRow => ({
      ...row(id, side, kind(median(rates)), kind(median(rates))),
      http: { read: kind(median(rates)), write: kind(median(rates)), samples: { read: rates.map((r, i) => sample(r, cpu[i]!)), write: rates.map((r, i) => sample(r, cpu[i]!)) } },
    });
    // Round by round ours is 1.5×, 2×, 1.1× theirs: the median ratio is 1.5×, while the ratio of the medians would be 2×.
    const paired = results([withRounds('connect-redis', 'theirs', [100, 400, 1000], [100, 100, 100]), withRounds('redis-hash', 'ours', [150, 800, 1100], [50, 80, 100])], []);
    const cells = ratioTable(paired).rows.find((cells) => cells[0] === 'redis-hash vs connect-redis')!;
    expect(cells.slice(1, 4)).toEqual(['1.50×', '1.50×', '0.80×']);
  });

  it('says why a comparison has no figures: skipped or not selected', () => {
    const rows = ratioTable(measured).rows;
    expect(rows.find((cells) => cells[0] === 'sql:postgres vs connect-pg-simple')![1]).toBe('not measured: sql:postgres not selected');
    const skippedOurs = results(measured.stores, [{ id: 'sql:postgres', reason: 'engine missing' }]);
    expect(ratioTable(skippedOurs).rows.find((cells) => cells[0] === 'sql:postgres vs connect-pg-simple')![1]).toBe('not measured: sql:postgres skipped');
  });

  it('checks targets on measured stores and leaves the others undecided', () => {
    const checks = checkTargets(measured);
    expect(checks.find((check) => check.target.startsWith('redis-hash read req/s'))!.met).toBe(true);
    expect(checks.find((check) => check.target.startsWith('redis-hash read: half'))!.met).toBe(true);
    expect(checks.find((check) => check.target.startsWith('sql:postgres read'))).toMatchObject({ met: undefined, measured: 'not measured' });
    const slower = results([row('connect-redis', 'theirs', kind(400, 2), kind(300, 2)), row('redis-hash', 'ours', kind(440, 2), kind(290, 2))], []);
    const slowerChecks = checkTargets(slower);
    expect(slowerChecks.filter((check) => check.target.startsWith('redis-hash')).map((check) => check.met)).toEqual([false, false, false]);
  });

  it('renders text and markdown with every row, escaping pipes', () => {
    const table = { title: 't', headers: ['a', 'b'], rows: [['x|y', '1']] };
    expect(renderMarkdown(table).split('\n')).toEqual(['| a | b |', '| --- | ---: |', '| x\\|y | 1 |']);
    expect(renderText(table).split('\n')).toHaveLength(4);
  });

  it('writes the skipped store and its reason into the docs, and a chart bar per measured store', () => {
    const page = renderDocs(measured, 'benchmarks.svg', '/nonexistent/analysis.md');
    expect(page).toContain('| connect-pg-simple | PostgreSQL at postgres://127.0.0.1:5432/test not reachable |');
    expect(page).toContain('`pnpm bench --quick`');
    const chart = renderChart(measured);
    expect(chart.match(/class="bar"/g)).toHaveLength(2 * measured.stores.length);
    expect(chart).not.toContain('connect-pg-simple');
  });
});

describe('per-round ratios', () => {
  const sample = (requestsPerSecond: number, cpuMicros = 1000) => ({ requestsPerSecond, p50Ms: 1, p99Ms: 2, failures: 0, requests: 10, cpuMicros });
  const withRounds = (id: string, side: StoreRow['side'], rates: number[]): StoreRow => ({
    ...row(id, side, kind(rates[0]!), kind(rates[0]!)),
    http: { read: kind(rates[0]!), write: kind(rates[0]!), samples: { read: rates.map((rate) => sample(rate)), write: rates.map((rate) => sample(rate)) } },
  });

  it('takes the median of the ratios of each round, not the ratio of the medians', () => {
    // The machine slowed both down in round 2: per round ours is 1.5×, 1.5×, 0.5×.
    const stores = [withRounds('cookieSession', 'ours', [1500, 300, 500]), withRounds('iron-session', 'theirs', [1000, 200, 1000])];
    const table = ratioTable(results(stores, []));
    expect(table.rows.find((cells) => cells[0] === 'cookieSession vs iron-session')!.slice(1, 3)).toEqual(['1.50×', '1.50×']);
    const check = checkTargets(results(stores, [])).find((c) => c.target === 'cookieSession read req/s ≥ 1.2× iron-session')!;
    expect(check.met).toBe(true);
  });
});

describe('stats', () => {
  it('takes medians and nearest-rank percentiles, ignoring missing values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN, 5])).toBe(5);
    expect(Number.isNaN(median([]))).toBe(true);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  });
});
