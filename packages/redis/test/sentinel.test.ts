import { engineAvailable, eventually, sleep } from '@sessionkit/test-suite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { CLIENT_KINDS, withClient } from './support/clients.js';
import { runPrefix } from './support/probe.js';
import { RedisServer, redisServerBinary } from './support/servers.js';

const available = await engineAvailable(
  'redis-server binary',
  redisServerBinary,
  'install Redis (apt-get install redis-server)',
);
const OPERATION_TIMEOUT_MS = 1000;

describe.skipIf(!available).each(CLIENT_KINDS)(
  'Sentinel failover on the %s client: master, replica and sentinel started by the test',
  (kind) => {
    let master: RedisServer;
    let replica: RedisServer;
    let sentinel: RedisServer;
    beforeAll(async () => {
      master = await RedisServer.start();
      replica = await RedisServer.start(['--replicaof', '127.0.0.1', String(master.port)]);
      const replicaClient = replica.client();
      try {
        expect(
          await eventually(
            async () => (await replicaClient.info('replication')).includes('master_link_status:up'),
            20_000,
          ),
        ).toBe(true);
      } finally {
        replicaClient.disconnect();
      }
      sentinel = await RedisServer.start(
        ['--sentinel'],
        [
          `sentinel monitor mymaster 127.0.0.1 ${master.port} 1`,
          'sentinel down-after-milliseconds mymaster 1000',
          'sentinel failover-timeout mymaster 4000',
          'sentinel parallel-syncs mymaster 1',
          '',
        ].join('\n'),
      );
      const sentinelClient = sentinel.client();
      try {
        // the sentinel must know the replica before the master goes, or it has nothing to promote
        const knowsReplica = async () =>
          ((await sentinelClient.call('SENTINEL', 'REPLICAS', 'mymaster')) as unknown[]).length === 1;
        expect(await eventually(knowsReplica, 20_000)).toBe(true);
      } finally {
        sentinelClient.disconnect();
      }
    });
    afterAll(async () => {
      await Promise.all([master, replica, sentinel].map((server) => server?.destroy()));
    });

    it('kill the master while writing: calls in the gap fail fast, the store follows the promoted replica, acknowledged sessions survive', async () => {
      const url = withClient(`redis+sentinel://127.0.0.1:${sentinel.port}/mymaster`, kind);
      const prefix = runPrefix('sentinel');
      const store = RedisSessionStore.fromUrl(url, {
        prefix,
        operationTimeoutMs: OPERATION_TIMEOUT_MS,
        waitReplicas: { count: 1, timeoutMs: 300 },
      });
      const acknowledged: string[] = [];
      const failures: Record<string, number> = {};
      const unexpected: string[] = [];
      let slowest = 0;
      let running = true;
      const writer = (async () => {
        for (let i = 0; running; i++) {
          const sid = `sentinel-session-${i.toString().padStart(5, '0')}`;
          const started = Date.now();
          try {
            await store.set(sid, { i }, { ttlMs: 120_000 });
            acknowledged.push(sid);
          } catch (err) {
            const code = (err as { code?: string }).code ?? String(err);
            failures[code] = (failures[code] ?? 0) + 1;
            if (code !== 'ERR_STORE_UNAVAILABLE' && code !== 'ERR_REPLICATION') unexpected.push((err as Error).message);
            await sleep(20);
          }
          slowest = Math.max(slowest, Date.now() - started);
        }
      })();
      try {
        expect(await eventually(async () => acknowledged.length >= 30, 15_000)).toBe(true);
        const killedAt = Date.now();
        await master.stop();
        // Reads reach the new master once the sentinel has promoted the replica.
        const last = acknowledged[acknowledged.length - 1]!;
        const followed = await eventually(async () => (await store.get(last)) !== null, 30_000, 100);
        expect(followed, `store never reached the promoted replica (failures: ${JSON.stringify(failures)})`).toBe(true);
        const gapMs = Date.now() - killedAt;
        running = false;
        await writer;
        const missing: string[] = [];
        for (const sid of acknowledged) if ((await store.get(sid)) === null) missing.push(sid);
        expect(missing).toEqual([]);
        expect(failures['ERR_STORE_UNAVAILABLE'], JSON.stringify(failures)).toBeGreaterThan(0);
        // the only other outcome: the write reached the new master, which has no replica to WAIT for
        expect(unexpected).toEqual([]);
        // fail fast: within operationTimeoutMs, with wide slack for a busy machine; only a hang fails
        expect(slowest).toBeLessThan(OPERATION_TIMEOUT_MS + 10_000);
        const promoted = replica.client();
        expect(await promoted.info('replication')).toContain('role:master');
        promoted.disconnect();
        console.info(
          `[sentinel, ${kind}] ${acknowledged.length} acknowledged writes all readable; reads back ${gapMs} ms after the kill; failures ${JSON.stringify(failures)}; slowest call ${slowest} ms`,
        );
      } finally {
        running = false;
        await writer;
        await store.close();
      }
    }, 60_000);
  },
);
