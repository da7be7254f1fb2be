import { describe, expect, it } from 'vitest';
import { COMPARISONS, STORES } from '../src/catalog.js';
import { renderChart } from '../src/chart.js';
import { renderDocs } from '../src/docs.js';
import {
  checkTargets,
  clientSideTable,
  comparisonRatios,
  httpTable,
  perRoundTable,
  ratioTable,
  renderMarkdown,
  renderText,
  requestSamples,
  storeApiTable,
  targetsTable,
} from '../src/report.js';
import {
  resultsFileName,
  type ApiSample,
  type KindSummary,
  type Results,
  type StoreRow,
  type WindowSample,
} from '../src/results.js';
import { QUICK } from '../src/settings.js';
import { comparisonGroups, roundOrder } from '../src/schedule.js';
import {
  cpuMicros,
  cpuMicrosPerRequest,
  median,
  percentile,
  perRoundRatios,
  summarizeRatios,
  windowCounters,
} from '../src/stats.js';

/** Windows as a run records them: [requests/s, requests served, server CPU µs] per round. */
type Recorded = [number, number, number][];

const windows = (recorded: Recorded, sent?: number[]): WindowSample[] =>
  recorded.map(([requestsPerSecond, requests, cpu], round) => ({
    round,
    requestsPerSecond,
    p50Ms: 4,
    p99Ms: 15,
    failures: 0,
    requests,
    cpuMicros: cpu,
    ...(sent ? { sent: sent[round]! * requests } : {}),
  }));

/** Header bytes per request over the windows, as the HTTP phase sums them up, when every window counted them. */
const headerBytes = (
  samples: WindowSample[],
): Pick<KindSummary, 'requestHeaderBytesPerRequest' | 'responseHeaderBytesPerRequest'> => {
  if (!samples.every((sample) => sample.requestHeaderBytes !== undefined && sample.responseHeaderBytes !== undefined))
    return {};
  const requests = samples.reduce((sum, sample) => sum + sample.requests, 0);
  return {
    requestHeaderBytesPerRequest: samples.reduce((sum, sample) => sum + sample.requestHeaderBytes!, 0) / requests,
    responseHeaderBytesPerRequest: samples.reduce((sum, sample) => sum + sample.responseHeaderBytes!, 0) / requests,
  };
};

const summary = (samples: WindowSample[]): KindSummary => {
  const sent = samples.every((sample) => sample.sent !== undefined)
    ? samples.reduce((sum, sample) => sum + sample.sent!, 0) / samples.reduce((sum, sample) => sum + sample.requests, 0)
    : undefined;
  return {
    requestsPerSecond: median(samples.map((sample) => sample.requestsPerSecond)),
    p50Ms: 4,
    p99Ms: 15,
    cpuMicrosPerRequest: median(samples.map(cpuMicrosPerRequest)),
    failures: 0,
    ...(sent === undefined ? {} : { sentPerRequest: sent }),
    ...headerBytes(samples),
  };
};

const row = (id: string, side: StoreRow['side'], read: WindowSample[], write: WindowSample[]): StoreRow => ({
  id,
  side,
  description: id,
  http: { read: summary(read), write: summary(write), samples: { read, write } },
});

function results(stores: StoreRow[], skipped: Results['skipped'] = [], extra: Partial<Results> = {}): Results {
  return {
    command: 'pnpm bench --quick',
    mode: 'quick',
    startedAt: '2026-01-01T00:00:00.000Z',
    elapsedS: 60,
    machine: { cpu: 'test cpu', cores: 2, memoryGiB: 4, os: 'Linux', node: 'v20', engines: { redis: 'Redis 7' } },
    settings: { ...QUICK, rounds: 3 },
    stores,
    skipped,
    ...extra,
  };
}

// Three rounds of a recorded run (requests/s, requests served, server CPU µs in the window).
const MEMORY_STORE_READ: Recorded = [
  [2968.4, 14858, 5160985],
  [3013.4, 15113, 5431439],
  [2605.4, 13043, 5551558],
];
const MEMORY_STORE_WRITE: Recorded = [
  [2987.2, 14952, 5090176],
  [2870.6, 14369, 5315009],
  [2411.0, 12095, 5296801],
];
const MEMORY_READ: Recorded = [
  [2502.4, 12528, 5275821],
  [2019.6, 10114, 5551982],
  [2391.2, 11972, 5455902],
];
const MEMORY_WRITE: Recorded = [
  [2103.4, 10554, 5196538],
  [1804.6, 9039, 5491152],
  [2197.4, 11003, 5353294],
];

describe('stats', () => {
  it('takes medians and nearest-rank percentiles, ignoring missing values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN, 5])).toBe(5);
    expect(Number.isNaN(median([]))).toBe(true);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  });

  it('pairs ours and theirs of the same round, and takes the median of those ratios', () => {
    const ratios = perRoundRatios(
      windows(MEMORY_READ),
      windows(MEMORY_STORE_READ),
      (sample) => sample.requestsPerSecond,
    );
    expect(ratios.map((entry) => entry.round)).toEqual([0, 1, 2]);
    expect(ratios.map((entry) => entry.ratio)).toEqual([2502.4 / 2968.4, 2019.6 / 3013.4, 2391.2 / 2605.4]);
    const summarized = summarizeRatios(ratios.map((entry) => entry.ratio));
    expect(summarized.median).toBeCloseTo(0.843013, 6);
    expect(summarized.min).toBeCloseTo(0.670206, 6);
    expect(summarized.max).toBeCloseTo(0.917786, 6);
    expect(summarized.rounds).toBe(3);
    // Not the ratio of the medians (2391.2 / 2968.4 = 0.806): the slow second round of ours is
    // compared with theirs of that same round.
    expect(2391.2 / 2968.4).toBeCloseTo(0.805552, 6);
  });

  it('leaves out rounds that one side misses, and counts unnumbered samples by position', () => {
    const ours = windows(MEMORY_READ).filter((sample) => sample.round !== 1);
    const ratios = perRoundRatios(ours, windows(MEMORY_STORE_READ), (sample) => sample.requestsPerSecond);
    expect(ratios.map((entry) => entry.round)).toEqual([0, 2]);
    const unnumbered = windows(MEMORY_READ).map(({ round: _round, ...sample }) => sample);
    expect(perRoundRatios(unnumbered, windows(MEMORY_STORE_READ), (sample) => sample.requestsPerSecond)).toHaveLength(
      3,
    );
    expect(perRoundRatios(windows(MEMORY_READ), [], (sample) => sample.requestsPerSecond)).toEqual([]);
    expect(summarizeRatios([])).toMatchObject({ rounds: 0, perRound: [] });
    expect(summarizeRatios([1.2, Number.NaN, 0.8, 1.0, 1.1])).toMatchObject({
      median: 1.05,
      min: 0.8,
      max: 1.2,
      rounds: 4,
    });
  });

  it('computes server CPU per request from the marks around a window', () => {
    const before = { cpuMicros: 12_000_000, requests: 30_000, sent: 60_000 };
    const after = { cpuMicros: 17_160_985, requests: 44_858, sent: 74_858 };
    const window = windowCounters(before, after);
    expect(window).toEqual({ cpuMicros: 5_160_985, requests: 14_858, sent: 14_858 });
    expect(cpuMicrosPerRequest(window)).toBeCloseTo(347.354, 3);
    expect(Number.isNaN(cpuMicrosPerRequest({ cpuMicros: 5000, requests: 0 }))).toBe(true);
    expect(cpuMicros({ user: 4_000_000, system: 1_160_985 })).toBe(5_160_985);
  });

  it('takes the CPU ratio per round too', () => {
    const ratios = perRoundRatios(windows(MEMORY_READ), windows(MEMORY_STORE_READ), cpuMicrosPerRequest).map(
      (entry) => entry.ratio,
    );
    // 421.12 / 347.35, 548.94 / 359.39, 455.72 / 425.64 µs per request.
    expect(ratios[0]).toBeCloseTo(1.212372, 6);
    expect(ratios[1]).toBeCloseTo(1.527428, 6);
    expect(ratios[2]).toBeCloseTo(1.070687, 6);
    expect(summarizeRatios(ratios).median).toBeCloseTo(1.212372, 6);
  });
});

describe('schedule', () => {
  const ids = STORES.map((store) => store.id);

  it('groups the stores that are compared, each pair next to each other, theirs first', () => {
    const groups = comparisonGroups(ids, COMPARISONS);
    expect(groups).toContainEqual(['none']);
    // One group: MemoryStore against connect-redis is the reach of any store in the Express app.
    expect(groups).toContainEqual([
      'MemoryStore',
      'memory',
      'connect-redis',
      'redis-hash',
      'redis-hash (node-redis)',
      'redis-hash + near cache',
      'redis-json',
      'memorystore',
      'cluster',
    ]);
    expect(groups).toContainEqual(['connect-pg-simple', 'sql:postgres']);
    expect(groups).toContainEqual(['express-mysql-session', 'sql:mysql']);
    expect(groups).toContainEqual(['sql:sqlite']);
    // The Fastify app: its own pairs, its own ceiling.
    expect(groups).toContainEqual(['fastify:none']);
    expect(groups).toContainEqual([
      'fastify:connect-redis',
      'fastify:redis-hash',
      'fastify:MemoryStore',
      'fastify:memory',
    ]);
    expect(groups.flat().sort()).toEqual([...ids].sort());
  });

  it('takes a new row into its group from its comparison alone', () => {
    const groups = comparisonGroups(
      [...ids, 'redis-json (node-redis)'],
      [...COMPARISONS, { ours: 'redis-json (node-redis)', theirs: 'connect-redis' }],
    );
    expect(groups.find((group) => group.includes('connect-redis'))).toContain('redis-json (node-redis)');
    // Only the selected stores: with --only, a comparison whose other side is missing groups nothing.
    expect(comparisonGroups(['memory', 'connect-redis'], COMPARISONS)).toEqual([['memory'], ['connect-redis']]);
  });

  it('alternates which side goes first from round to round, and rotates the groups', () => {
    const groups = [['MemoryStore', 'memory'], ['connect-redis', 'redis-hash'], ['none']];
    expect(roundOrder(groups, 0)).toEqual([['MemoryStore', 'memory'], ['connect-redis', 'redis-hash'], ['none']]);
    expect(roundOrder(groups, 1)).toEqual([['redis-hash', 'connect-redis'], ['none'], ['memory', 'MemoryStore']]);
    expect(roundOrder(groups, 2)).toEqual([['none'], ['MemoryStore', 'memory'], ['connect-redis', 'redis-hash']]);
    const firsts = [0, 1, 2, 3, 4, 5].map(
      (round) => roundOrder(groups, round).find((group) => group.includes('memory'))![0],
    );
    expect(firsts).toEqual(['MemoryStore', 'memory', 'MemoryStore', 'memory', 'MemoryStore', 'memory']);
  });
});

/** The round groups of a run's measured stores. */
const groupsOf = (run: Results) =>
  comparisonGroups(
    run.stores.map((store) => store.id),
    COMPARISONS,
  );

describe('report', () => {
  const measured = results(
    [
      row(
        'none',
        'ceiling',
        windows([
          [4500, 22_500, 5_000_000],
          [4400, 22_000, 5_000_000],
          [4600, 23_000, 5_000_000],
        ]),
        windows([
          [4900, 24_500, 5_000_000],
          [4800, 24_000, 5_000_000],
          [5000, 25_000, 5_000_000],
        ]),
      ),
      row('MemoryStore', 'theirs', windows(MEMORY_STORE_READ), windows(MEMORY_STORE_WRITE)),
      row('memory', 'ours', windows(MEMORY_READ), windows(MEMORY_WRITE)),
      // Redis: ours faster in every round, half the commands on reads, less CPU.
      row(
        'connect-redis',
        'theirs',
        windows(
          [
            [3000, 15_000, 5_400_000],
            [2500, 12_500, 5_000_000],
            [2800, 14_000, 5_200_000],
          ],
          [2, 2, 2],
        ),
        windows(
          [
            [2700, 13_500, 5_300_000],
            [2400, 12_000, 5_000_000],
            [2600, 13_000, 5_200_000],
          ],
          [2, 2, 2],
        ),
      ),
      row(
        'redis-hash',
        'ours',
        windows(
          [
            [3600, 18_000, 5_400_000],
            [3100, 15_500, 5_000_000],
            [3300, 16_500, 5_200_000],
          ],
          [1, 1, 1],
        ),
        windows(
          [
            [2800, 14_000, 5_300_000],
            [2500, 12_500, 5_000_000],
            [2700, 13_500, 5_200_000],
          ],
          [2, 2, 2],
        ),
      ),
    ],
    [{ id: 'connect-pg-simple', reason: 'PostgreSQL at postgres://127.0.0.1:5432/test not reachable' }],
  );

  it('reports each ratio as the median of per-round ratios with the min–max beside it', () => {
    const table = ratioTable(measured);
    const memory = table.rows.find((cells) => cells[0] === 'memory vs MemoryStore')!;
    expect(memory.slice(1, 6)).toEqual([
      '3',
      '0.84× (0.67–0.92)',
      '0.70× (0.63–0.91)',
      '1.21× (1.07–1.53)',
      '1.45× (1.11–1.64)',
    ]);
    const redis = table.rows.find((cells) => cells[0] === 'redis-hash vs connect-redis')!;
    expect(redis[2]).toBe('1.20× (1.18–1.24)');
    expect(redis[6]).toBe('1.00 vs 2.00');
    const ratios = comparisonRatios(measured, { ours: 'memory', theirs: 'MemoryStore' })!;
    expect(ratios.read.requestsPerSecond.perRound).toHaveLength(3);
    expect(ratios.write.cpuMicrosPerRequest.median).toBeCloseTo(1.44632, 5);
  });

  it('says why a comparison has no figures: skipped or not selected', () => {
    const rows = ratioTable(measured).rows;
    expect(rows.find((cells) => cells[0] === 'sql:postgres vs connect-pg-simple')![1]).toBe(
      'not measured: sql:postgres not selected',
    );
    const skippedOurs = results(measured.stores, [{ id: 'sql:postgres', reason: 'engine missing' }]);
    expect(ratioTable(skippedOurs).rows.find((cells) => cells[0] === 'sql:postgres vs connect-pg-simple')![1]).toBe(
      'not measured: sql:postgres skipped',
    );
  });

  it('lists every round of every measured comparison', () => {
    const table = perRoundTable(measured);
    expect(table.headers).toEqual(['comparison', 'round 1', 'round 2', 'round 3', 'median']);
    expect(table.rows.find((cells) => cells[0] === 'memory vs MemoryStore read req/s')).toEqual([
      'memory vs MemoryStore read req/s',
      '0.84',
      '0.67',
      '0.92',
      '0.84×',
    ]);
    // memory vs MemoryStore, redis-hash vs connect-redis, MemoryStore vs connect-redis: 2 kinds, 2 metrics each
    expect(table.rows).toHaveLength(3 * 2 * 2);
  });

  it('checks targets on the medians, counts the rounds that meet them and says by how much a miss misses', () => {
    const checks = checkTargets(measured);
    const check = (target: string) => checks.find((candidate) => candidate.target === target)!;
    expect(check('memory vs MemoryStore: read req/s ≥ 1.05×')).toMatchObject({
      met: false,
      rounds: '0/3',
      measured: '0.84× (0.67–0.92)',
      shortfall: 'short by 0.21× (needs +25 %)',
    });
    expect(check('memory vs MemoryStore: read CPU/request ≤ theirs')).toMatchObject({
      met: false,
      rounds: '0/3',
      shortfall: 'over by 0.21× (22 % more CPU per request)',
    });
    expect(check('redis-hash vs connect-redis: read req/s ≥ 1.15×')).toMatchObject({ met: true, rounds: '3/3' });
    expect(check('redis-hash vs connect-redis: read CPU/request ≤ theirs')).toMatchObject({ met: true });
    expect(check('redis-hash vs connect-redis: write req/s ≥ 1.00×')).toMatchObject({ met: true, rounds: '3/3' });
    expect(check('redis-hash read: half the Redis commands of connect-redis').met).toBe(true);
    expect(check('sql:postgres vs connect-pg-simple: read req/s ≥ 1.30×')).toMatchObject({
      met: undefined,
      measured: 'not measured',
    });
    // Ours against ours: no CPU rule.
    expect(
      checks.some((candidate) => candidate.target.startsWith('cluster vs memory') && candidate.target.includes('CPU')),
    ).toBe(false);
    const rendered = targetsTable(measured).rows.find(
      (cells) => cells[0] === 'memory vs MemoryStore: write req/s ≥ 1.00×',
    )!;
    expect(rendered[3]).toBe('MISSED: short by 0.30× (needs +43 %)');
    const slowLag = results(measured.stores, [], {
      lag: { samples: 200, lost: 0, medianMs: 1.7, p99Ms: 43.6, maxMs: 103.6 },
    });
    expect(targetsTable(slowLag).rows.find((cells) => cells[0]!.startsWith('cluster replication lag'))![3]).toBe(
      'MISSED: p99 over by 33.6 ms',
    );
  });

  it('has one target line per kind with a target in the catalog, and a CPU line against their stores', () => {
    const checks = checkTargets(results([]));
    for (const comparison of COMPARISONS.filter((candidate) => candidate.target)) {
      for (const kind of ['read', 'write'] as const) {
        const present = checks.some((check) =>
          check.target.startsWith(`${comparison.ours} vs ${comparison.theirs}: ${kind} req/s`),
        );
        expect(present).toBe(comparison.target![kind] !== undefined);
      }
    }
    expect(checks.every((check) => check.met === undefined)).toBe(true);
  });

  it('reports the Fastify rows like the others: medians of per-round ratios, their target, their own ceiling', () => {
    // Round by round ours is 1.5×, 2× and 1.1× theirs: the median ratio is 1.5×, while the ratio
    // of the medians would be 2×. CPU per request: 0.5, 0.8 and 1.0 µs against 1.0 µs.
    const fastify = results([
      row(
        'fastify:none',
        'ceiling',
        windows([
          [3000, 300, 150],
          [3000, 300, 150],
          [3000, 300, 150],
        ]),
        windows([
          [3000, 300, 150],
          [3000, 300, 150],
          [3000, 300, 150],
        ]),
      ),
      row(
        'fastify:connect-redis',
        'theirs',
        windows([
          [100, 100, 100],
          [400, 100, 100],
          [1000, 100, 100],
        ]),
        windows([
          [100, 100, 100],
          [400, 100, 100],
          [1000, 100, 100],
        ]),
      ),
      row(
        'fastify:redis-hash',
        'ours',
        windows([
          [150, 100, 50],
          [800, 100, 80],
          [1100, 100, 100],
        ]),
        windows([
          [150, 100, 50],
          [800, 100, 80],
          [1100, 100, 100],
        ]),
      ),
      row(
        'none',
        'ceiling',
        windows([
          [6000, 600, 300],
          [6000, 600, 300],
          [6000, 600, 300],
        ]),
        windows([
          [6000, 600, 300],
          [6000, 600, 300],
          [6000, 600, 300],
        ]),
      ),
    ]);
    const cells = ratioTable(fastify).rows.find(
      (candidate) => candidate[0] === 'fastify:redis-hash vs fastify:connect-redis',
    )!;
    expect(cells.slice(1, 6)).toEqual([
      '3',
      '1.50× (1.10–2.00)',
      '1.50× (1.10–2.00)',
      '0.80× (0.50–1.00)',
      '0.80× (0.50–1.00)',
    ]);
    expect(
      ratioTable(fastify).rows.find((candidate) => candidate[0] === 'fastify:memory vs fastify:MemoryStore')![1],
    ).toBe('not measured: fastify:memory not selected');
    const checks = checkTargets(fastify);
    expect(
      checks.find((check) => check.target === 'fastify:redis-hash vs fastify:connect-redis: read req/s ≥ 1.00×'),
    ).toMatchObject({ met: true, rounds: '3/3', measured: '1.50× (1.10–2.00)' });
    expect(
      checks.find((check) => check.target === 'fastify:redis-hash vs fastify:connect-redis: read CPU/request ≤ theirs'),
    ).toMatchObject({ met: true, rounds: '3/3' });
    expect(
      perRoundTable(fastify).rows.find(
        (candidate) => candidate[0] === 'fastify:redis-hash vs fastify:connect-redis read req/s',
      ),
    ).toEqual(['fastify:redis-hash vs fastify:connect-redis read req/s', '1.50', '2.00', '1.10', '1.50×']);
    // "% of no-session" against the same app without sessions: fastify:none, not Express's none.
    const percent = (id: string) =>
      httpTable(fastify)
        .rows.find((candidate) => candidate[0] === id)!
        .at(-1);
    expect(percent('fastify:redis-hash')).toBe('27%');
    expect(percent('fastify:none')).toBe('100%');
    expect(percent('none')).toBe('100%');
  });

  it('reports the client-side rows on per-round ratios with their targets, and their header bytes', () => {
    // The machine slowed both down in round 2: per round cookieSession is 1.5×, 1.5× and 0.5× iron-session.
    const withHeaders = (recorded: Recorded, requestHeaderBytes: number, responseHeaderBytes: number): WindowSample[] =>
      windows(recorded).map((sample) => ({
        ...sample,
        requestHeaderBytes: requestHeaderBytes * sample.requests,
        responseHeaderBytes: responseHeaderBytes * sample.requests,
      }));
    const cookies = results([
      row(
        'cookieSession',
        'ours',
        withHeaders(
          [
            [1500, 100, 100],
            [300, 100, 100],
            [500, 100, 100],
          ],
          420,
          150,
        ),
        withHeaders(
          [
            [1500, 100, 100],
            [300, 100, 100],
            [500, 100, 100],
          ],
          420,
          560,
        ),
      ),
      row(
        'iron-session',
        'theirs',
        withHeaders(
          [
            [1000, 100, 200],
            [200, 100, 200],
            [1000, 100, 200],
          ],
          480,
          150,
        ),
        withHeaders(
          [
            [1000, 100, 200],
            [200, 100, 200],
            [1000, 100, 200],
          ],
          480,
          620,
        ),
      ),
      row(
        'cookie-session',
        'theirs',
        withHeaders(
          [
            [1600, 100, 80],
            [320, 100, 80],
            [550, 100, 80],
          ],
          390,
          150,
        ),
        withHeaders(
          [
            [1600, 100, 80],
            [320, 100, 80],
            [550, 100, 80],
          ],
          390,
          640,
        ),
      ),
    ]);
    const cells = ratioTable(cookies).rows.find((candidate) => candidate[0] === 'cookieSession vs iron-session')!;
    expect(cells.slice(1, 4)).toEqual(['3', '1.50× (0.50–1.50)', '1.50× (0.50–1.50)']);
    const checks = checkTargets(cookies);
    const check = (target: string) => checks.find((candidate) => candidate.target === target);
    expect(check('cookieSession vs iron-session: read req/s ≥ 1.20×')).toMatchObject({ met: true, rounds: '2/3' });
    expect(check('cookieSession vs iron-session: write CPU/request ≤ theirs')).toMatchObject({ met: true });
    // A target below 1.0× concedes that ours costs more per request (it encrypts what cookie-session signs): no CPU line.
    expect(check('cookieSession vs cookie-session: read req/s ≥ 0.90×')).toMatchObject({ met: true, rounds: '3/3' });
    expect(check('cookieSession vs cookie-session: read CPU/request ≤ theirs')).toBeUndefined();
    expect(groupsOf(cookies)).toContainEqual(['iron-session', 'cookieSession', 'cookie-session']);
    const table = clientSideTable(cookies);
    expect(table.rows.map((candidate) => candidate[0])).toEqual(['cookieSession', 'iron-session', 'cookie-session']);
    expect(table.rows[0]!.slice(4)).toEqual(['420 + 150', '420 + 560']);
    expect(clientSideTable(measured).rows).toEqual([]);
  });

  const api = (rates: number[], cpu: number[]): ApiSample[] =>
    rates.map((opsPerSecond, round) => ({ round, opsPerSecond, cpuMicrosPerCall: cpu[round]!, calls: 1000 }));
  const withApi = results(measured.stores, measured.skipped, {
    storeApi: {
      pairs: [
        {
          ours: 'memory',
          theirs: 'MemoryStore',
          samples: {
            get: {
              ours: api([120_000, 90_000, 110_000], [8, 10, 9]),
              theirs: api([100_000, 100_000, 100_000], [10, 10, 10]),
            },
            set: {
              ours: api([30_000, 20_000, 25_000], [30, 40, 35]),
              theirs: api([100_000, 100_000, 100_000], [5, 5, 5]),
            },
          },
        },
      ],
      skipped: [{ comparison: 'redis-hash vs connect-redis', reason: 'Redis not reachable' }],
    },
  });

  it('reports the Store API micro-benchmark as medians of per-round ratios', () => {
    const table = storeApiTable(withApi);
    expect(table.rows[0]).toEqual([
      'memory vs MemoryStore',
      'get',
      '110,000',
      '100,000',
      '1.10× (0.90–1.20)',
      '9.00 / 10.00',
      '0.90× (0.80–1.00)',
    ]);
    expect(table.rows[1]!.slice(0, 5)).toEqual([
      'memory vs MemoryStore',
      'set',
      '25,000',
      '100,000',
      '0.25× (0.20–0.30)',
    ]);
    // get + set per round: ours 1 / (1/120k + 1/30k) = 24,000, 16,364 and 20,370 calls/s against
    // 50,000 for theirs; CPU 8 + 30, 10 + 40 and 9 + 35 µs against 10 + 5.
    expect(table.rows[2]!.slice(0, 2)).toEqual(['memory vs MemoryStore', 'write request (get + set)']);
    expect(table.rows[2]!.slice(2)).toEqual([
      '20,370',
      '50,000',
      '0.41× (0.33–0.48)',
      '44.00 / 15.00',
      '2.93× (2.53–3.33)',
    ]);
    expect(table.rows[3]!.slice(0, 2)).toEqual(['redis-hash vs connect-redis', 'not measured: Redis not reachable']);
    expect(storeApiTable(measured).rows).toEqual([]);
  });

  it('adds up the calls of one request round by round, leaving out rounds that miss a call', () => {
    const get = api([100_000, 50_000, 80_000], [10, 20, 12]);
    const touch = api([100_000, 50_000], [5, 6]);
    const request = requestSamples(get, touch);
    expect(request.map((sample) => [sample.round, Math.round(sample.opsPerSecond), sample.cpuMicrosPerCall])).toEqual([
      [0, 50_000, 15],
      [1, 25_000, 26],
    ]);
  });

  it('keeps latest.json for a complete full run with the standard settings', () => {
    expect(resultsFileName({ mode: 'full', command: 'pnpm bench' })).toBe('latest.json');
    for (const command of [
      'pnpm bench --only=memory,MemoryStore',
      'pnpm bench --rounds=3',
      'pnpm bench --profile=memory',
    ]) {
      expect(resultsFileName({ mode: 'full', command })).toBe('scratch.json');
    }
    expect(resultsFileName({ mode: 'quick', command: 'pnpm bench --quick' })).toBe('scratch.json');
  });

  it('renders text and markdown with every row, escaping pipes', () => {
    const table = { title: 't', headers: ['a', 'b'], rows: [['x|y', '1']] };
    expect(renderMarkdown(table).split('\n')).toEqual(['| a | b |', '| --- | ---: |', '| x\\|y | 1 |']);
    expect(renderText(table).split('\n')).toHaveLength(4);
  });

  it('writes the ratios, per-round table, Store API section and skipped stores into the docs, and a chart bar per measured store', () => {
    const page = renderDocs(withApi, 'benchmarks.svg', '/nonexistent/analysis.md');
    expect(page).toContain('| connect-pg-simple | PostgreSQL at postgres://127.0.0.1:5432/test not reachable |');
    expect(page).toContain('`pnpm bench --quick`');
    expect(page).toContain('median of the 3 per-round ratios');
    expect(page).toContain('## Per-round ratios');
    expect(page).toContain('## Store API micro-benchmark');
    expect(page).toContain('| memory vs MemoryStore | get | 110,000 |');
    expect(page).toContain(
      '| memory vs MemoryStore: read req/s ≥ 1.05× | 0.84× (0.67–0.92) | 0/3 | MISSED: short by 0.21× (needs +25 %) |',
    );
    const chart = renderChart(measured);
    expect(chart.match(/class="bar"/g)).toHaveLength(2 * measured.stores.length);
    expect(chart).not.toContain('connect-pg-simple');
  });
});
