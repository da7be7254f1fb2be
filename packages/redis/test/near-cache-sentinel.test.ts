import { engineAvailable, eventually } from '@sessionkit/test-suite';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { untilTracking } from './support/near-cache.js';
import { runPrefix } from './support/probe.js';
import { RedisServer, redisServerBinary } from './support/servers.js';

const available = await engineAvailable(
  'redis-server binary',
  redisServerBinary,
  'install Redis (apt-get install redis-server)',
);
const TTL = { ttlMs: 600_000 };

describe.skipIf(!available)(
  'near cache through a Sentinel failover (master, replica and sentinel started by the test)',
  () => {
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
          '',
        ].join('\n'),
      );
      const sentinelClient = sentinel.client();
      try {
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

    it("after the master is killed both instances track on the promoted replica, towards their own invalidation connection, and see each other's writes", async () => {
      const prefix = runPrefix('near-sentinel');
      // Clients handed in, with ioredis defaults but a steady reconnect: the store's own Sentinel
      // client from a URL is covered by sentinel.test.ts.
      const client = () => {
        const redis = new Redis({
          sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
          name: 'mymaster',
          lazyConnect: true,
          retryStrategy: () => 200,
          sentinelRetryStrategy: () => 200,
        });
        redis.on('error', () => {});
        return redis;
      };
      const clients = [client(), client()];
      const nearCache = { maxEntries: 1000 };
      const a = new RedisSessionStore({
        client: clients[0]!,
        prefix,
        nearCache,
        operationTimeoutMs: 1000,
        waitReplicas: { count: 1, timeoutMs: 300 },
      });
      const b = new RedisSessionStore({ client: clients[1]!, prefix, nearCache, operationTimeoutMs: 1000 });
      try {
        await Promise.all([untilTracking(a), untilTracking(b)]);
        const sid = 'near-sentinel-session-0001';
        await a.set(sid, { v: 'before' }, TTL);
        await b.get(sid);
        await b.get(sid);
        expect(b.nearCache!.hits).toBeGreaterThan(0);
        const flushes = b.nearCache!.flushes;

        await master.stop();
        // Each store's reads reach the promoted replica, and tracking comes back on it.
        let lastError = '';
        const readBack = async () =>
          (await b.get(sid).catch((err: Error) => {
            lastError = err.message;
            return null;
          })) !== null;
        const followed = await eventually(readBack, 45_000, 100);
        const role = await replica
          .client()
          .info('replication')
          .then((text) => /role:(\w+)/.exec(text)?.[1])
          .catch(String);
        expect(
          followed,
          JSON.stringify({ lastError, status: (b.client as Redis).status, nearCache: b.nearCache, replicaRole: role }),
        ).toBe(true);
        await Promise.all([untilTracking(a), untilTracking(b)]);
        expect(b.nearCache!.flushes).toBeGreaterThan(flushes);
        const promoted = replica.client();
        try {
          expect(await promoted.info('replication')).toContain('role:master');
          // b's data connection redirects to a client of the promoted server named as b's link.
          const info = (await (b.client as Redis).client('TRACKINGINFO')) as unknown as unknown[];
          const redirect = String(info[info.indexOf('redirect') + 1]);
          expect(String(await promoted.client('LIST', 'ID', redirect))).toMatch(/ name=sessionkit-near-cache-/);
        } finally {
          promoted.disconnect();
        }

        expect(await b.get(sid)).toEqual({ v: 'before' });
        const hits = b.nearCache!.hits;
        await b.get(sid);
        expect(b.nearCache!.hits).toBe(hits + 1);
        // No replica is left to WAIT for: the write is applied and rejects with ReplicationError.
        await a
          .set(sid, { v: 'after' }, TTL)
          .catch((err: { code?: string }) => expect(err.code).toBe('ERR_REPLICATION'));
        expect(await b.get(sid)).toEqual({ v: 'after' });
      } finally {
        await a.close();
        await b.close();
        for (const redis of clients) redis.disconnect();
      }
    }, 90_000);
  },
);
