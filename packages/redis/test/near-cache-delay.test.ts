import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { engineAvailable } from '@sessionkit/test-suite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { untilTracking } from './support/near-cache.js';
import { RedisServer, redisServerBinary } from './support/servers.js';

const available = await engineAvailable(
  'redis-server binary',
  redisServerBinary,
  'install Redis (apt-get install redis-server)',
);
const WRITES = Number(process.env['NEAR_CACHE_DELAY_WRITES'] ?? 1000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

// The invalidation delay: from the moment instance A starts a write until instance B's near cache
// has dropped its entry (B's `nearCacheInvalidation` event). Printed, not asserted: what the design
// guarantees is that every write's invalidation arrives, and that B then reads the new value.
describe.skipIf(!available)('near cache invalidation delay (test-owned redis-server)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(() => server?.destroy());

  it.each(['ioredis', 'node-redis'] as const)(
    `%s: every one of ${WRITES} writes on A reaches B's cache; p50 and p99 of the delay are printed`,
    async (client) => {
      const prefix = `delay-${randomBytes(4).toString('hex')}:`;
      const a = RedisSessionStore.fromUrl(`${server.url}?client=${client}`, { prefix, nearCache: { maxEntries: 100 } });
      const b = RedisSessionStore.fromUrl(`${server.url}?client=${client}`, { prefix, nearCache: { maxEntries: 100 } });
      try {
        await Promise.all([untilTracking(a), untilTracking(b)]);
        const sid = randomBytes(18).toString('base64url');
        await a.set(sid, { n: -1 }, { ttlMs: 600_000 });
        const delays: number[] = [];
        for (let i = 0; i < WRITES; i++) {
          // B caches the session (a read from Redis, which Redis then tracks), and a second read is served from memory.
          await b.get(sid);
          const hits = b.nearCache!.hits;
          await b.get(sid);
          expect(b.nearCache!.hits).toBe(hits + 1);
          let started = 0;
          const dropped = new Promise<number>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`write ${i}: no invalidation within 30 s`)), 30_000);
            b.once('nearCacheInvalidation', () => {
              clearTimeout(timer);
              resolve(performance.now());
            });
          });
          started = performance.now();
          await a.patch(sid, { set: { n: i }, unset: [] }, { ttlMs: 600_000 });
          delays.push((await dropped) - started);
          expect(await b.get(sid)).toEqual({ n: i });
        }
        delays.sort((x, y) => x - y);
        const p50 = percentile(delays, 50).toFixed(3);
        const p99 = percentile(delays, 99).toFixed(3);
        console.info(
          `[near cache] ${client}: invalidation delay over ${WRITES} writes: p50 ${p50} ms, p99 ${p99} ms, max ${delays.at(-1)!.toFixed(3)} ms`,
        );
        expect(delays).toHaveLength(WRITES);
      } finally {
        await a.close();
        await b.close();
      }
    },
    300_000,
  );
});
