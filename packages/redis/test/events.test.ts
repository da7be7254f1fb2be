import assert from 'node:assert/strict';
import type { SessionLifecycleEvent } from '@sessionkit/core';
import { engineAvailable, eventually, runConformanceSuite } from '@sessionkit/test-suite';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { CLIENT_KINDS, clusterClient, standaloneClient } from './support/clients.js';
import { redisProbe, runPrefix } from './support/probe.js';
import { RedisServer, redisServerBinary, startCluster } from './support/servers.js';

// events: true changes server configuration (CONFIG SET notify-keyspace-events), so every test here
// runs on redis-servers of its own, started with keyspace notifications off (the default).
const available = await engineAvailable(
  'redis-server binary',
  redisServerBinary,
  'install Redis (apt-get install redis-server)',
);

/** Every group but `events`, each with the reason it is left out here. */
const ONLY_EVENTS = Object.fromEntries(
  (
    [
      'basic',
      'expiry',
      'touch',
      'patch',
      'concurrency',
      'destroy',
      'ids',
      'bad-input',
      'values',
      'principal',
      'outage',
    ] as const
  ).map((group) => [group, 'runs in conformance.test.ts; this server is for the events group']),
);

describe.skipIf(!available)('events: true on a test-owned redis-server (keyspace notifications off at start)', () => {
  let server: RedisServer;
  let client: Redis;
  beforeAll(async () => {
    server = await RedisServer.start();
    client = new Redis(server.url, { lazyConnect: true });
  });
  afterAll(async () => {
    await client?.quit();
    await server?.destroy();
  });

  describe.each(['hash', 'json'] as const)('the conformance events group, format %s', (format) => {
    let prefix = '';
    runConformanceSuite({
      it,
      createStore: async (options) => {
        const store = new RedisSessionStore({
          ...options,
          client,
          format,
          events: true,
          prefix: (prefix = runPrefix(`events-${format}`)),
        });
        await store.eventsReady();
        return store;
      },
      probe: redisProbe(
        () => client,
        () => prefix,
        format,
      ),
      events: { created: true, destroyed: true, expired: true },
      skip: ONLY_EVENTS,
    });
  });

  it.each(CLIENT_KINDS)('%s client: expired is delivered through a subscription of its own', async (kind) => {
    const handed = await standaloneClient(kind, server.url);
    const store = new RedisSessionStore({ client: handed.client, events: true, prefix: runPrefix(`kind-${kind}`) });
    const expired: SessionLifecycleEvent[] = [];
    store.on('expired', (e) => expired.push(e as SessionLifecycleEvent));
    try {
      await store.eventsReady();
      await store.set('brief', { userId: 'ann' }, { ttlMs: 200 });
      assert.ok(await eventually(async () => expired.length > 0, 15_000, 25), `no expired event through ${kind}`);
      assert.deepEqual(expired, [{ sid: 'brief' }]);
    } finally {
      await store.close();
      await handed.close();
    }
  });

  it('the store turned on the notifications it needs, keeping the flags already set', async () => {
    await client.config('SET', 'notify-keyspace-events', 'Kg');
    const store = new RedisSessionStore({ client, events: true, prefix: runPrefix('flags') });
    try {
      await store.eventsReady();
      const [, flags] = (await client.config('GET', 'notify-keyspace-events')) as [string, string];
      for (const flag of ['K', 'g', 'E', 'x']) assert.ok(flags.includes(flag), `notify-keyspace-events is ${flags}`);
    } finally {
      await store.close();
    }
  });

  it('a session expires with no request touching it: every store with events: true hears it once; a store without does not', async () => {
    const prefix = runPrefix('expiry');
    const second = client.duplicate();
    const listening = [
      new RedisSessionStore({ client, events: true, prefix }),
      new RedisSessionStore({ client: second, events: true, prefix }),
    ];
    const quiet = new RedisSessionStore({ client, prefix });
    const heard = listening.map(() => [] as SessionLifecycleEvent[]);
    const unheard: unknown[] = [];
    for (const [i, store] of listening.entries())
      store.on('expired', (e) => heard[i]!.push(e as SessionLifecycleEvent));
    quiet.on('expired', (e) => unheard.push(e));
    try {
      await Promise.all(listening.map((store) => store.eventsReady()));
      await quiet.set('gone-soon', { userId: 'ann' }, { ttlMs: 300 });
      await quiet.set('stays', { userId: 'ann' }, { ttlMs: 60_000 });
      assert.ok(
        await eventually(async () => heard.every((events) => events.length > 0), 15_000, 25),
        'no expired event',
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const events of heard) assert.deepEqual(events, [{ sid: 'gone-soon' }]);
      assert.deepEqual(unheard, []);
    } finally {
      await Promise.all([...listening, quiet].map((store) => store.close()));
      second.disconnect();
    }
  });
});

describe.skipIf(!available)('events: true where CONFIG is refused (a managed Redis)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start(['--rename-command', 'CONFIG', '']);
  });
  afterAll(() => server?.destroy());

  it('emits one error saying what to configure, and keeps serving sessions', async () => {
    const client = new Redis(server.url, { lazyConnect: true });
    const store = new RedisSessionStore({ client, events: true, prefix: runPrefix('refused') });
    const errors: Error[] = [];
    store.on('error', (err) => errors.push(err as Error));
    try {
      await store.eventsReady();
      assert.equal(errors.length, 1, errors.map((e) => e.message).join('\n'));
      assert.equal((errors[0] as Error & { code?: string }).code, 'ERR_STORE_CONFIG');
      assert.match(errors[0]!.message, /notify-keyspace-events/);
      assert.match(errors[0]!.message, /"Ex"/);
      await store.set('still-works', { a: 1 }, { ttlMs: 60_000 });
      assert.deepEqual(await store.get('still-works'), { a: 1 });
    } finally {
      await store.close();
      await client.quit();
    }
  });
});

describe.skipIf(!available)('events: true on a Redis Cluster of 3 masters started by the test', () => {
  let servers: RedisServer[] = [];
  let cluster: Cluster;
  beforeAll(async () => {
    servers = await startCluster();
    cluster = new Cluster(servers.map((s) => ({ host: '127.0.0.1', port: s.port })));
  });
  afterAll(async () => {
    await cluster?.quit();
    await Promise.all(servers.map((s) => s.destroy()));
  });

  it.each(CLIENT_KINDS)(
    '%s client: subscribes on every master, so sessions expiring on each of them are all reported',
    async (kind) => {
      const handed =
        kind === 'ioredis'
          ? { client: cluster, close: async () => {} }
          : await clusterClient(
              kind,
              servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
            );
      const store = new RedisSessionStore({
        client: handed.client,
        events: true,
        prefix: runPrefix(`cluster-events-${kind}`),
      });
      const expired = new Set<string>();
      store.on('expired', (e) => expired.add((e as SessionLifecycleEvent).sid));
      try {
        await store.eventsReady();
        const sids = Array.from({ length: 30 }, (_, i) => `cluster-expiring-${i}`);
        await Promise.all(sids.map((sid) => store.set(sid, { userId: `u${sid}` }, { ttlMs: 300 })));
        for (const server of servers) {
          const node = server.client();
          try {
            const [, flags] = (await node.config('GET', 'notify-keyspace-events')) as [string, string];
            assert.ok(
              flags.includes('E') && flags.includes('x'),
              `master ${server.port}: notify-keyspace-events is ${flags}`,
            );
          } finally {
            node.disconnect();
          }
        }
        const all = await eventually(async () => sids.every((sid) => expired.has(sid)), 20_000, 50);
        assert.ok(all, `missing: ${sids.filter((sid) => !expired.has(sid)).join(', ')}`);
      } finally {
        await store.close();
        await handed.close();
      }
    },
    60_000,
  );
});
