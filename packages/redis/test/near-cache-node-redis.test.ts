import { randomBytes } from 'node:crypto';
import { engineAvailable } from '@sessionkit/test-suite';
import type { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NearCacheOptions, RedisSessionStore } from '../src/index.js';
import { untilFlushed, untilTracking } from './support/near-cache.js';
import { RedisServer, redisServerBinary } from './support/servers.js';

const available = await engineAvailable(
  'redis-server binary',
  redisServerBinary,
  'install Redis (apt-get install redis-server)',
);
const TTL = { ttlMs: 600_000 };
const sid = () => randomBytes(18).toString('base64url');

type NodeRedis = ReturnType<typeof createClient>;

// The near cache on node-redis clients (createClient): the same protocol as on ioredis, through
// the node-redis invalidation link.
describe.skipIf(!available)('near cache on node-redis (test-owned redis-server)', () => {
  let server: RedisServer;
  let admin: Redis;
  const clients: NodeRedis[] = [];
  const stores: RedisSessionStore[] = [];
  beforeAll(async () => {
    server = await RedisServer.start();
    admin = server.client();
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    for (const client of clients) client.destroy();
    admin?.disconnect();
    await server?.destroy();
  });

  async function instance(prefix: string, nearCache: NearCacheOptions | undefined = { maxEntries: 1000 }) {
    const client = createClient({ url: server.url });
    client.on('error', () => {});
    await client.connect();
    clients.push(client);
    const store = new RedisSessionStore({ client, prefix, ...(nearCache ? { nearCache } : {}) });
    stores.push(store);
    if (nearCache) await untilTracking(store);
    return store;
  }

  async function commandCalls(): Promise<number> {
    let total = 0;
    for (const match of (await admin.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      if (match[1] !== 'info' && !match[1]!.startsWith('config')) total += Number(match[2]);
    }
    return total;
  }

  it('a write on one instance is seen by the next read on every instance, with every cache warm', async () => {
    const prefix = `nr-rr-${randomBytes(4).toString('hex')}:`;
    const instances = [await instance(prefix), await instance(prefix), await instance(prefix)];
    const id = sid();
    await instances[0]!.set(id, { cart: [] }, TTL);
    const STEPS = 100;
    for (let step = 0; step < STEPS; step++) {
      for (const store of instances) await store.get(id);
      const current = instances[step % 3]!;
      const { cart } = (await current.get(id)) as { cart: number[] };
      await current.patch(id, { set: { cart: [...cart, step] }, unset: [] }, TTL);
      for (const store of instances) expect(((await store.get(id)) as { cart: number[] }).cart).toHaveLength(step + 1);
    }
    for (const store of instances) expect(store.nearCache!.hits).toBeGreaterThan(STEPS);
  }, 120_000);

  it('warm reads cost no Redis command (INFO commandstats)', async () => {
    const store = await instance(`nr-count-${randomBytes(4).toString('hex')}:`);
    const id = sid();
    await store.set(id, { user: 'ada' }, TTL);
    await store.get(id);
    await admin.config('RESETSTAT');
    for (let i = 0; i < 200; i++) expect(await store.get(id)).toEqual({ user: 'ada' });
    expect(await commandCalls()).toBe(0);
  });

  it('the invalidation connection killed: the cache is flushed, then tracking comes back and invalidations flow', async () => {
    const prefix = `nr-drop-${randomBytes(4).toString('hex')}:`;
    const reader = await instance(prefix);
    const writer = await instance(prefix, undefined);
    const id = sid();
    await writer.set(id, { v: 1 }, TTL);
    await reader.get(id);
    await reader.get(id);
    expect(reader.nearCache!.entries).toBe(1);
    const { flushes } = reader.nearCache!;
    const info = (await (reader.client as NodeRedis).sendCommand(['CLIENT', 'TRACKINGINFO'])) as unknown[];
    const redirect = String(info[info.indexOf('redirect') + 1]);
    await admin.client('KILL', 'ID', redirect);
    await untilFlushed(reader, flushes);
    expect(reader.nearCache!.entries).toBe(0);
    expect(reader.nearCache!.flushes).toBe(flushes + 1);
    await untilTracking(reader);
    await writer.patch(id, { set: { v: 2 }, unset: [] }, TTL);
    expect(await reader.get(id)).toEqual({ v: 2 });
    const hits = reader.nearCache!.hits;
    expect(await reader.get(id)).toEqual({ v: 2 });
    expect(reader.nearCache!.hits).toBe(hits + 1);
    await writer.patch(id, { set: { v: 3 }, unset: [] }, TTL);
    expect(await reader.get(id)).toEqual({ v: 3 });
  }, 60_000);

  it('the data connection killed: node-redis reconnects it, tracking is enabled on the new connection', async () => {
    const prefix = `nr-data-${randomBytes(4).toString('hex')}:`;
    const reader = await instance(prefix);
    const writer = await instance(prefix, undefined);
    const id = sid();
    await writer.set(id, { v: 1 }, TTL);
    await reader.get(id);
    const { flushes } = reader.nearCache!;
    const dataId = String(await (reader.client as NodeRedis).sendCommand(['CLIENT', 'ID']));
    await admin.client('KILL', 'ID', dataId);
    await untilFlushed(reader, flushes);
    await untilTracking(reader);
    expect(reader.nearCache!.flushes).toBe(flushes + 1);
    expect(String(await (reader.client as NodeRedis).sendCommand(['CLIENT', 'ID']))).not.toBe(dataId);
    expect(await reader.get(id)).toEqual({ v: 1 });
    await reader.get(id);
    await writer.patch(id, { set: { v: 2 }, unset: [] }, TTL);
    expect(await reader.get(id)).toEqual({ v: 2 });
  }, 60_000);
});

describe.skipIf(!available)(
  'near cache on node-redis, Redis refuses client-side caching (rename-command CLIENT "")',
  () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await RedisServer.start([], 'rename-command CLIENT ""\n');
    });
    afterAll(() => server?.destroy());

    it('one warning, then every read goes to Redis and the store works', async () => {
      const warnings: string[] = [];
      const client = createClient({ url: server.url });
      client.on('error', () => {});
      await client.connect();
      const store = new RedisSessionStore({
        client,
        prefix: 'nr-refused:',
        nearCache: { maxEntries: 10, logger: { warn: (message) => warnings.push(message) } },
      });
      try {
        await untilTracking(store, 'refused');
        const id = sid();
        await store.set(id, { v: 1 }, TTL);
        for (let i = 0; i < 5; i++) expect(await store.get(id)).toEqual({ v: 1 });
        expect(store.nearCache).toMatchObject({ state: 'refused', entries: 0, hits: 0 });
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(/near cache off: Redis refused client-side caching/);
      } finally {
        await store.close();
        client.destroy();
      }
    }, 60_000);
  },
);
