import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { isSessionStoreError, storedKeyTexts, type SessionData } from '@sessionkit/core';
import { ExpressSessionStore } from '@sessionkit/express';
import { engineAvailable } from '@sessionkit/test-suite';
import express from 'express';
import session from 'express-session';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore, type NearCacheOptions } from '../src/index.js';
import { untilFlushed, untilTracking } from './support/near-cache.js';
import { RedisServer, redisServerBinary } from './support/servers.js';

const available = await engineAvailable(
  'redis-server binary',
  redisServerBinary,
  'install Redis (apt-get install redis-server)',
);
const TTL = { ttlMs: 600_000 };
const sid = () => randomBytes(18).toString('base64url');

/** Calls of every command since the last CONFIG RESETSTAT, from INFO commandstats, without the counting's own INFO and CONFIG. */
async function commandCalls(admin: Redis): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const match of (await admin.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const name = match[1]!;
    if (name !== 'info' && !name.startsWith('config')) calls[name] = Number(match[2]);
  }
  return calls;
}

const total = (calls: Record<string, number>) => Object.values(calls).reduce((sum, n) => sum + n, 0);

describe.skipIf(!available)('near cache (test-owned redis-server)', () => {
  let server: RedisServer;
  let admin: Redis;
  const clients: Redis[] = [];
  const stores: RedisSessionStore[] = [];
  beforeAll(async () => {
    server = await RedisServer.start();
    admin = server.client();
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    for (const client of clients) client.disconnect();
    admin?.disconnect();
    await server?.destroy();
  });

  /** One app instance: a store with the near cache on its own ioredis client. */
  async function instance(
    prefix: string,
    nearCache: NearCacheOptions | undefined = { maxEntries: 1000 },
    client: RedisOptions = {},
  ) {
    const redis = new Redis({ port: server.port, lazyConnect: true, ...client });
    redis.on('error', () => {});
    clients.push(redis);
    const store = new RedisSessionStore({ client: redis, prefix, ...(nearCache ? { nearCache } : {}) });
    stores.push(store);
    if (nearCache) await untilTracking(store);
    return store;
  }

  /** The id of the invalidation connection a store's data connection redirects to, from CLIENT TRACKINGINFO. */
  async function redirectOf(store: RedisSessionStore): Promise<number> {
    const info = (await (store.client as Redis).client('TRACKINGINFO')) as unknown as unknown[];
    return Number(info[info.indexOf('redirect') + 1]);
  }

  it('a write on one instance is seen by the next read on any other, with every cache warm (round-robin read-modify-write)', async () => {
    const prefix = `rr-${randomBytes(4).toString('hex')}:`;
    const instances = [await instance(prefix), await instance(prefix), await instance(prefix)];
    const id = sid();
    await instances[0]!.set(id, { cart: [] }, TTL);
    const STEPS = 150;
    for (let step = 0; step < STEPS; step++) {
      // Every instance holds the session as it is now...
      for (const store of instances) await store.get(id);
      // ...then one in turn reads it, adds an item and saves; the next read on every instance,
      // the writer's own and the two others', must see every item.
      const current = instances[step % 3]!;
      const { cart } = (await current.get(id)) as { cart: number[] };
      await current.patch(id, { set: { cart: [...cart, step] }, unset: [] }, TTL);
      for (const store of instances) expect(((await store.get(id)) as { cart: number[] }).cart).toHaveLength(step + 1);
    }
    expect(((await instances[1]!.get(id)) as { cart: number[] }).cart).toEqual(
      Array.from({ length: STEPS }, (_, i) => i),
    );
    // The reads were served from memory (the test is about the cache, not about Redis).
    for (const store of instances) expect(store.nearCache!.hits).toBeGreaterThan(STEPS);
  }, 120_000);

  it('each read returns its own copy; the stored form (for save diffs) comes with it', async () => {
    const store = await instance(`copy-${randomBytes(4).toString('hex')}:`);
    const id = sid();
    await store.set(id, { cart: ['tea'], user: { name: 'ada' } }, TTL);
    await store.get(id);
    const hits = store.nearCache!.hits;
    const first = (await store.get(id)) as { cart: string[]; user: { name: string } };
    first.cart.push('cake');
    first.user.name = 'eve';
    const second = (await store.get(id)) as SessionData;
    expect(store.nearCache!.hits).toBe(hits + 2);
    expect(second).toEqual({ cart: ['tea'], user: { name: 'ada' } });
    expect(second).not.toBe(first);
    const texts = storedKeyTexts(second);
    expect(texts).toBeDefined();
    expect(Object.fromEntries(texts!())).toEqual({ cart: '["tea"]', user: '{"name":"ada"}' });
  });

  it("an entry is never served past the session key's expiry nor past maxAgeMs", async () => {
    const store = await instance(`age-${randomBytes(4).toString('hex')}:`, { maxEntries: 100, maxAgeMs: 400 });
    const short = sid();
    await store.set(short, { a: 1 }, { ttlMs: 300 });
    expect(await store.get(short)).toEqual({ a: 1 });
    await sleep(500);
    expect(await store.get(short)).toBeNull();

    const long = sid();
    await store.set(long, { b: 1 }, TTL);
    await store.get(long);
    const { hits, misses } = store.nearCache!;
    await store.get(long);
    expect(store.nearCache!.hits).toBe(hits + 1);
    await sleep(500);
    expect(await store.get(long)).toEqual({ b: 1 });
    // Older than maxAgeMs: read from Redis again.
    expect(store.nearCache!.misses).toBe(misses + 1);
  });

  it('this instance reads its own set, patch, touch and destroy at once', async () => {
    const store = await instance(`own-${randomBytes(4).toString('hex')}:`);
    const id = sid();
    await store.set(id, { n: 1 }, TTL);
    expect(await store.get(id)).toEqual({ n: 1 });
    await store.set(id, { n: 2 }, TTL);
    expect(await store.get(id)).toEqual({ n: 2 });
    await store.get(id);
    await store.patch(id, { set: { m: 1 }, unset: ['n'] }, TTL);
    expect(await store.get(id)).toEqual({ m: 1 });
    await store.touch(id, { ttlMs: 200 });
    await sleep(300);
    expect(await store.get(id)).toBeNull();
    const gone = sid();
    await store.set(gone, { x: 1 }, TTL);
    await store.get(gone);
    await store.destroy(gone);
    expect(await store.get(gone)).toBeNull();
  });

  it('a set or patch through this instance refills its own entry: the next read there sends no command, and a later write on another instance still reaches it', async () => {
    const prefix = `refill-${randomBytes(4).toString('hex')}:`;
    const store = await instance(prefix);
    const other = await instance(prefix);
    const id = sid();
    /** The write dropped the entry; the read-back after its fence puts it back. */
    const refilled = async () => {
      const deadline = Date.now() + 20_000;
      while (store.nearCache!.entries !== 1) {
        if (Date.now() > deadline) throw new Error('the entry was not refilled within 20 s');
        await sleep(5);
      }
    };
    const servedFromMemory = async (expected: SessionData) => {
      await refilled();
      await admin.config('RESETSTAT');
      const hits = store.nearCache!.hits;
      expect(await store.get(id)).toEqual(expected);
      expect(store.nearCache!.hits).toBe(hits + 1);
      expect(total(await commandCalls(admin))).toBe(0);
    };
    await store.set(id, { n: 1 }, TTL);
    await servedFromMemory({ n: 1 });
    await store.patch(id, { set: { m: 2 }, unset: ['n'] }, TTL);
    await servedFromMemory({ m: 2 });
    // The read-back made Redis track the key for this instance again: another instance's write drops it.
    await other.patch(id, { set: { o: 3 }, unset: [] }, TTL);
    expect(await store.get(id)).toEqual({ m: 2, o: 3 });
  });

  it('the invalidation connection killed: the cache is flushed, reads go to Redis until tracking is back, then invalidations flow again', async () => {
    const prefix = `drop-${randomBytes(4).toString('hex')}:`;
    // Reconnects wait 2 s: reads made meanwhile are the uncached ones this test looks at.
    const reader = await instance(prefix, { maxEntries: 100 }, { retryStrategy: () => 2000 });
    const writer = await instance(prefix, undefined);
    const id = sid();
    await writer.set(id, { v: 1 }, TTL);
    await reader.get(id);
    await reader.get(id);
    expect(reader.nearCache!.entries).toBe(1);
    const before = reader.nearCache!;

    await admin.client('KILL', 'ID', String(await redirectOf(reader)));
    await untilFlushed(reader, before.flushes);
    expect(reader.nearCache!.entries).toBe(0);
    expect(reader.nearCache!.flushes).toBe(before.flushes + 1);

    // While tracking is down, every read goes to Redis and sees every write.
    let whileDown = 0;
    for (let i = 0; i < 50 && reader.nearCache!.state === 'connecting'; i++) {
      await writer.patch(id, { set: { v: 100 + i }, unset: [] }, TTL);
      const hits = reader.nearCache!.hits;
      const read = await reader.get(id);
      if (reader.nearCache!.state !== 'connecting') break;
      expect(read).toEqual({ v: 100 + i });
      expect(reader.nearCache!.hits).toBe(hits);
      expect(reader.nearCache!.entries).toBe(0);
      whileDown++;
    }
    expect(whileDown).toBeGreaterThan(0);

    await untilTracking(reader);
    await reader.get(id);
    const hits = reader.nearCache!.hits;
    expect(await reader.get(id)).toMatchObject({ v: expect.any(Number) });
    expect(reader.nearCache!.hits).toBe(hits + 1);
    await writer.patch(id, { set: { v: 'after' }, unset: [] }, TTL);
    expect(await reader.get(id)).toEqual({ v: 'after' });
  }, 60_000);

  it('the data connection reconnected: tracking is enabled on the new connection, towards the invalidation connection', async () => {
    const prefix = `data-${randomBytes(4).toString('hex')}:`;
    const reader = await instance(prefix);
    const writer = await instance(prefix, undefined);
    const id = sid();
    await writer.set(id, { v: 1 }, TTL);
    await reader.get(id);
    const flushes = reader.nearCache!.flushes;
    const redirect = await redirectOf(reader);

    await admin.client('KILL', 'ID', String(await (reader.client as Redis).client('ID')));
    await untilFlushed(reader, flushes);
    await untilTracking(reader);
    expect(reader.nearCache!.flushes).toBe(flushes + 1);
    expect(await redirectOf(reader)).toBe(redirect);

    expect(await reader.get(id)).toEqual({ v: 1 });
    await reader.get(id);
    await writer.patch(id, { set: { v: 2 }, unset: [] }, TTL);
    expect(await reader.get(id)).toEqual({ v: 2 });
  }, 60_000);

  it('a read costs at most 0.05 Redis commands once warm, through Express (INFO commandstats)', async () => {
    const store = await instance(`http-${randomBytes(4).toString('hex')}:`);
    const app = express();
    app.use(
      session({
        store: new ExpressSessionStore(store),
        secret: 'near-cache',
        resave: false,
        saveUninitialized: false,
        cookie: { maxAge: 600_000 },
      }),
    );
    app.post('/login', (req, res) => {
      (req.session as unknown as { user: string }).user = 'ada';
      res.json({ ok: true });
    });
    app.get('/me', (req, res) => {
      res.json({ user: (req.session as unknown as { user?: string }).user ?? null });
    });
    const http = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      const login = await fetch(`${base}/login`, { method: 'POST' });
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const me = async () => {
        const res = await fetch(`${base}/me`, { headers: { cookie } });
        expect(await res.json()).toEqual({ user: 'ada' });
      };
      await me();
      await admin.config('RESETSTAT');
      const REQUESTS = 200;
      for (let i = 0; i < REQUESTS; i++) await me();
      const calls = await commandCalls(admin);
      console.info(`[near cache] Redis commands for ${REQUESTS} read requests: ${JSON.stringify(calls)}`);
      expect(total(calls) / REQUESTS).toBeLessThanOrEqual(0.05);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  }, 60_000);

  it('is refused on Redis Cluster (ioredis and node-redis), and validates its options and its URL parameter', () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: server.port }], { lazyConnect: true });
    try {
      expect(() => new RedisSessionStore({ client: cluster, nearCache: { maxEntries: 10 } })).toThrow(
        /not supported on Redis Cluster/,
      );
    } finally {
      cluster.disconnect();
    }
    const refused = (build: () => unknown) => {
      try {
        build();
      } catch (err) {
        return isSessionStoreError(err, 'ERR_STORE_CONFIG') ? (err as Error).message : `other error: ${String(err)}`;
      }
      return 'accepted';
    };
    for (const value of ['0', '-1', '1.5', 'abc', '', '1e3', '10 ']) {
      expect(
        refused(() => RedisSessionStore.fromUrl(`${server.url}?nearCache=${encodeURIComponent(value)}`)),
        value,
      ).toMatch(/nearCache in a store URL must be a positive integer/);
    }
    expect(refused(() => RedisSessionStore.fromUrl(`${server.url}?nearCache=10&nearCacheMaxAgeMs=0`))).toMatch(
      /nearCacheMaxAgeMs/,
    );
    expect(refused(() => RedisSessionStore.fromUrl(`redis+cluster://127.0.0.1:${server.port}?nearCache=10`))).toMatch(
      /not supported on Redis Cluster/,
    );
    expect(
      refused(() =>
        RedisSessionStore.fromUrl(`redis+cluster://127.0.0.1:${server.port}?client=node-redis&nearCache=10`),
      ),
    ).toMatch(/not supported on Redis Cluster/);
    const client = new Redis({ port: server.port, lazyConnect: true });
    try {
      expect(refused(() => new RedisSessionStore({ client, nearCache: { maxEntries: 0 } }))).toMatch(
        /maxEntries must be a positive integer/,
      );
      expect(refused(() => new RedisSessionStore({ client, nearCache: { maxEntries: 5, maxAgeMs: -1 } }))).toMatch(
        /maxAgeMs must be a positive number/,
      );
    } finally {
      client.disconnect();
    }
  });

  it('a nearCache URL parameter turns the cache on', async () => {
    const store = RedisSessionStore.fromUrl(
      `${server.url}?nearCache=25&nearCacheMaxAgeMs=5000&prefix=url-${randomBytes(4).toString('hex')}:`,
    );
    stores.push(store);
    await untilTracking(store);
    const id = sid();
    await store.set(id, { a: 1 }, TTL);
    await store.get(id);
    await store.get(id);
    expect(store.nearCache).toMatchObject({ state: 'tracking', entries: 1, hits: 1 });
  });
});

describe.skipIf(!available).each([
  ['CLIENT renamed away (rename-command CLIENT "")', 'rename-command CLIENT ""\n'],
  ['an ACL user without the client command', 'user default on nopass ~* &* +@all -client\n'],
])('Redis refuses client-side caching: %s', (_, config) => {
  let server: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await RedisServer.start([], config);
    admin = server.client();
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.destroy();
  });

  it('one warning, then every read goes to Redis and the store works', async () => {
    const warnings: string[] = [];
    const logger = { warn: (message: string) => warnings.push(message) };
    const prefix = `refused-${randomBytes(4).toString('hex')}:`;
    const open = () => RedisSessionStore.fromUrl(server.url, { prefix, nearCache: { maxEntries: 100, logger } });
    const store = open();
    const writer = RedisSessionStore.fromUrl(server.url, { prefix });
    try {
      await untilTracking(store, 'refused');
      const id = sid();
      await writer.set(id, { v: 1 }, TTL);
      await admin.config('RESETSTAT');
      for (let i = 0; i < 10; i++) expect(await store.get(id)).toEqual({ v: 1 });
      await writer.patch(id, { set: { v: 2 }, unset: [] }, TTL);
      expect(await store.get(id)).toEqual({ v: 2 });
      const calls = await commandCalls(admin);
      expect(calls['hgetall']).toBe(11);
      expect(store.nearCache).toMatchObject({ state: 'refused', entries: 0, hits: 0 });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/near cache off: Redis refused client-side caching/);
    } finally {
      await store.close();
      await writer.close();
    }
  }, 60_000);
});
