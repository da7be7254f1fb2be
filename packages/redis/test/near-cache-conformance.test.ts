import { engineAvailable, type GroupName, redisAvailable, runConformanceSuite } from '@sessionkit/test-suite';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { untilTracking } from './support/near-cache.js';
import { REDIS_URL, redisProbe, runPrefix } from './support/probe.js';
import { RedisServer, redisServerBinary } from './support/servers.js';

const available = await redisAvailable();

// The whole conformance suite with the near cache on. Each test's store and its peer (a second
// app instance, on its own connection) cache what they read; the probe writes behind their backs
// (corrupt bytes) through a third connection, as another instance would.
describe.skipIf(!available).each(['hash', 'json'] as const)(
  'conformance with the near cache on, standalone Redis, format %s',
  (format) => {
    const clients = [new Redis(REDIS_URL, { lazyConnect: true }), new Redis(REDIS_URL, { lazyConnect: true })] as const;
    const probeClient = new Redis(REDIS_URL, { lazyConnect: true });
    afterAll(() => Promise.all([...clients, probeClient].map((client) => client.quit())));
    let prefix = '';
    // Each store is handed out once Redis tracks its reads, so every test runs with the cache serving.
    const open = async (client: Redis, options: object) => {
      const store = new RedisSessionStore({
        ...options,
        client,
        format,
        scanCount: 1000,
        prefix,
        nearCache: { maxEntries: 1000 },
      });
      await untilTracking(store);
      return store;
    };
    runConformanceSuite({
      it,
      createStore: (options) => {
        prefix = runPrefix(`near-${format}`);
        return open(clients[0], options);
      },
      createPeer: (_store, options) => open(clients[1], options),
      probe: redisProbe(
        () => probeClient,
        () => prefix,
        format,
      ),
      skip: { outage: 'runs against a test-owned redis-server in outage.test.ts' },
    });
  },
);

// The same on node-redis clients (createClient), hash layout.
describe.skipIf(!available)('conformance with the near cache on, node-redis client, standalone Redis', () => {
  const clients = [createClient({ url: REDIS_URL }), createClient({ url: REDIS_URL })] as const;
  const probeClient = new Redis(REDIS_URL, { lazyConnect: true });
  beforeAll(() => Promise.all(clients.map((client) => client.connect())));
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await probeClient.quit();
  });
  let prefix = '';
  const open = async (client: (typeof clients)[number], options: object) => {
    const store = new RedisSessionStore({
      ...options,
      client,
      scanCount: 1000,
      prefix,
      nearCache: { maxEntries: 1000 },
    });
    await untilTracking(store);
    return store;
  };
  runConformanceSuite({
    it,
    createStore: (options) => {
      prefix = runPrefix('near-node-redis');
      return open(clients[0], options);
    },
    createPeer: (_store, options) => open(clients[1], options),
    probe: redisProbe(
      () => probeClient,
      () => prefix,
      'hash',
    ),
    skip: { outage: 'runs against a test-owned redis-server below' },
  });
});

const redisBinary = await engineAvailable(
  'redis-server binary',
  redisServerBinary,
  'install Redis (apt-get install redis-server)',
);

// The outage group with the near cache on: a test-owned server killed and restarted under the store.
describe.skipIf(!redisBinary)(
  'outage with the near cache on: a test-owned redis-server is killed and restarted',
  () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await RedisServer.start(['--appendonly', 'yes', '--appendfsync', 'always']);
    });
    afterAll(() => server?.destroy());
    runConformanceSuite({
      it,
      createStore: (options) =>
        RedisSessionStore.fromUrl(`${server.url}?nearCache=1000`, { ...options, prefix: runPrefix('near-outage') }),
      backend: { stop: () => server.stop(), start: () => server.start() },
      skip: Object.fromEntries(
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
            'events',
          ] as GroupName[]
        ).map((g) => [g, 'runs above']),
      ),
    });
  },
);
