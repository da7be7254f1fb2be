import { engineAvailable, rejection, runConformanceSuite } from '@sessionkit/test-suite';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { keySpace, slotOf } from '../src/keys.js';
import { CLIENT_KINDS, clusterClient, isClosed, withClient, type TestClient } from './support/clients.js';
import { redisProbe, runPrefix } from './support/probe.js';
import { type RedisServer, redisServerBinary, startCluster } from './support/servers.js';

const available = await engineAvailable(
  'redis-server binary',
  redisServerBinary,
  'install Redis (apt-get install redis-server)',
);

describe.skipIf(!available)('Redis Cluster of 3 masters started by the test', () => {
  let servers: RedisServer[] = [];
  // the test's own view of the keys (KEYSLOT, PTTL); each store gets a client of the kind under test
  let inspect: Cluster;
  const nodes = () => servers.map((s) => ({ host: '127.0.0.1', port: s.port }));
  beforeAll(async () => {
    servers = await startCluster();
    inspect = new Cluster(nodes());
  });
  afterAll(async () => {
    await inspect?.quit();
    await Promise.all(servers.map((s) => s.destroy()));
  });

  /** Keys under `prefix` held by each master, read from each node directly. */
  async function keysPerMaster(prefix: string): Promise<number[]> {
    return Promise.all(
      servers.map(async (server) => {
        const node = server.client();
        try {
          return (await node.keys(`${prefix}*`)).length;
        } finally {
          node.disconnect();
        }
      }),
    );
  }

  describe.each(CLIENT_KINDS)('%s client', (kind) => {
    let handed: TestClient;
    beforeAll(async () => {
      handed = await clusterClient(kind, nodes());
    });
    afterAll(() => handed?.close());

    describe.each(['hash', 'json'] as const)('conformance, format %s', (format) => {
      let prefix = '';
      runConformanceSuite({
        it,
        createStore: (options) =>
          new RedisSessionStore({
            ...options,
            client: handed.client,
            format,
            prefix: (prefix = runPrefix(`cluster-${kind}-${format}`)),
          }),
        probe: redisProbe(
          () => inspect,
          () => prefix,
          format,
        ),
        skip: { outage: 'runs against a standalone server in outage.test.ts' },
      });
    });

    it('ids() and length() see the sessions on every master; clear() removes them from every master', async () => {
      const prefix = runPrefix('spread');
      const store = new RedisSessionStore({ client: handed.client, prefix });
      try {
        const sids = Array.from({ length: 60 }, (_, i) => `spread-session-${i.toString().padStart(3, '0')}`);
        await Promise.all(sids.map((sid) => store.patch(sid, { set: { i: 1 }, unset: [] }, { ttlMs: 60_000 })));
        const spread = await keysPerMaster(prefix);
        expect(
          spread.every((n) => n > 0),
          `keys per master: ${spread.join(', ')}`,
        ).toBe(true);
        const seen: string[] = [];
        for await (const sid of store.ids()) seen.push(sid);
        expect(seen.sort()).toEqual(sids);
        expect(await store.length()).toBe(60);
        await Promise.all(sids.slice(0, 10).map((sid) => store.destroy(sid)));
        expect(await store.length()).toBe(50);
        await store.clear();
        expect(await keysPerMaster(prefix)).toEqual([0, 0, 0]);
      } finally {
        await store.close();
      }
    });

    it('hashTag puts every session key (and tombstone) on one master', async () => {
      const prefix = runPrefix('tagged');
      const store = new RedisSessionStore({ client: handed.client, prefix, hashTag: 'app' });
      try {
        const sids = Array.from({ length: 30 }, (_, i) => `tagged-session-${i}`);
        await Promise.all(sids.map((sid) => store.set(sid, { tagged: true }, { ttlMs: 60_000 })));
        await store.destroy(sids[0]!);
        expect(await store.get(sids[0]!)).toBeNull();
        const spread = await keysPerMaster(`${prefix}{app}`);
        expect(spread.filter((n) => n > 0)).toEqual([30]); // 29 sessions + 1 tombstone, one master
        expect(await store.length()).toBe(29);
        await store.clear();
        expect(await store.length()).toBe(0);
      } finally {
        await store.close();
      }
    });

    it('sids with braces: session key and tombstone hash to one slot (CLUSTER KEYSLOT), and a destroyed session stays destroyed', async () => {
      const prefix = runPrefix('braces');
      const keys = keySpace(prefix);
      // `{}{a}`-like sids: Redis hashes the whole key, node-redis' own slot function the `{a}` after
      // the empty `{}`; a dozen of them, so that some land on another master whatever the prefix
      const emptyTagFirst = Array.from({ length: 12 }, (_, i) => `{}{${String.fromCharCode(97 + i)}}`);
      const sids = [
        '{tag}x',
        'x{tag}',
        '{}x',
        'a}b',
        '}{',
        '{a',
        'b}',
        '{{a}}',
        ...emptyTagFirst,
        'ünï}{',
        `${'}'.repeat(200)}z`,
      ];
      for (const sid of sids) {
        const [session, tombstone] = [keys.session(sid), keys.tombstone(sid)];
        const slots = await Promise.all([session, tombstone].map((key) => inspect.cluster('KEYSLOT', key)));
        expect(slots, `${sid}: ${session} / ${tombstone}`).toEqual([slotOf(session), slotOf(session)]);
      }
      for (const format of ['hash', 'json'] as const) {
        const store = new RedisSessionStore({ client: handed.client, prefix, format });
        try {
          for (const sid of sids) {
            await store.set(sid, { format }, { ttlMs: 60_000 });
            await store.destroy(sid);
            await store.patch(sid, { set: { late: true }, unset: [] }, { ttlMs: 60_000 });
            expect(await store.get(sid), sid).toBeNull();
          }
        } finally {
          await store.close();
        }
      }
    });

    it('pipelining on a Cluster (ioredis: enableAutoPipelining): a 50,000-key patch shares batches with 20 users, and each gets its own answer', async () => {
      const piped = await clusterClient(kind, nodes(), true);
      // a generous operationTimeoutMs: the 50,000-key command holds up what is queued behind it, and
      // this test checks answers, not speed
      const store = new RedisSessionStore({
        client: piped.client,
        prefix: runPrefix('cluster-piped'),
        maxSessionKeys: 100_000,
        maxSessionBytes: 4 * 1024 * 1024,
        operationTimeoutMs: 30_000,
      });
      const uncaught: unknown[] = [];
      const onUncaught = (err: unknown) => uncaught.push(err);
      process.on('uncaughtException', onUncaught);
      try {
        const users = Array.from({ length: 20 }, (_, i) => `cluster-user-${i}`);
        await Promise.all(users.map((sid, i) => store.set(sid, { me: i }, { ttlMs: 60_000 })));
        const flood = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i % 10]));
        const before = Promise.allSettled(users.map((sid) => store.get(sid)));
        const floodPatch = Promise.allSettled([
          store.patch('cluster-flood', { set: flood, unset: [] }, { ttlMs: 60_000 }),
        ]);
        const after = Promise.allSettled(users.map((sid) => store.get(sid)));
        const own = users.map((_, i) => ({ status: 'fulfilled', value: { me: i } }));
        expect(await before).toEqual(own);
        expect(await floodPatch).toEqual([{ status: 'fulfilled', value: undefined }]);
        expect(await after).toEqual(own);
        expect(Object.keys((await store.get('cluster-flood'))!)).toHaveLength(50_000);
        expect(uncaught).toEqual([]);
      } finally {
        process.off('uncaughtException', onUncaught);
        await store.clear();
        await store.close();
        await piped.close();
      }
    }, 60_000);

    it('waitReplicas on a Cluster: the script and WAIT go to the master of the key in one pipeline', async () => {
      const store = new RedisSessionStore({
        client: handed.client,
        prefix: runPrefix('cluster-wait'),
        waitReplicas: { count: 1, timeoutMs: 50 },
      });
      try {
        // this cluster has no replicas, so WAIT answers 0 from whichever master owns the key
        for (const sid of ['wait-a-session', 'wait-b-session', 'wait-c-session']) {
          const err = await rejection(store.set(sid, { a: 1 }, { ttlMs: 60_000 }));
          expect(err).toMatchObject({ code: 'ERR_REPLICATION', acknowledged: 0, required: 1 });
          expect(await store.get(sid)).toEqual({ a: 1 });
        }
        await store.clear();
      } finally {
        await store.close();
      }
    });

    it('redis+cluster:// URL: the store creates its own Cluster client and quits it on close', async () => {
      const url = withClient(`redis+cluster://${servers.map((s) => `127.0.0.1:${s.port}`).join(',')}`, kind);
      // a generous operationTimeoutMs: discovering the Cluster's slots can take seconds on a busy machine
      const store = RedisSessionStore.fromUrl(url, { prefix: runPrefix('cluster-url'), operationTimeoutMs: 30_000 });
      await store.set('url-session-1', { via: 'url' }, { ttlMs: 60_000 });
      expect(await store.get('url-session-1')).toEqual({ via: 'url' });
      const client = store.client;
      await store.close();
      expect(isClosed(client)).toBe(true);
    });
  });
});
