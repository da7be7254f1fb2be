import { redisAvailable } from '@sessionkit/test-suite';
import { RedisStore } from 'connect-redis';
import type { SessionData as ExpressSessionData } from 'express-session';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/index.js';
import { CLIENT_KINDS, standaloneClient, type TestClient } from './support/clients.js';
import { REDIS_URL, runPrefix } from './support/probe.js';

const available = await redisAvailable();

/** A session as express-session hands it to connect-redis. */
function expressSession(extra: Record<string, unknown>): ExpressSessionData {
  const expires = new Date(Date.now() + 600_000).toISOString();
  return {
    cookie: { originalMaxAge: 600_000, expires, httpOnly: true, path: '/' },
    ...extra,
  } as unknown as ExpressSessionData;
}

describe.skipIf(!available).each(CLIENT_KINDS)(
  'connect-redis 9 (node-redis v5 client) and format: json on a %s client share sessions',
  (kind) => {
    const nodeRedis = createClient({ url: REDIS_URL });
    // the test's own view of the raw keys
    const ioredis = new Redis(REDIS_URL, { lazyConnect: true });
    const prefix = runPrefix(`connect-redis-${kind}`);
    let theirs: RedisStore;
    let ours: RedisSessionStore;
    let handed: TestClient;
    beforeAll(async () => {
      await nodeRedis.connect();
      theirs = new RedisStore({ client: nodeRedis, prefix });
      handed = await standaloneClient(kind, REDIS_URL);
      ours = new RedisSessionStore({ client: handed.client, prefix, format: 'json' });
    });
    afterAll(async () => {
      await ours?.clear();
      await ours?.close();
      await handed?.close();
      await ioredis.quit();
      await nodeRedis.quit();
    });

    it('sessions written by connect-redis are read, patched and touched by sessionkit; connect-redis reads the result', async () => {
      const data = expressSession({ user: { id: 7, name: 'Zoë' }, cart: [], big: 9007199254740991, empty: {} });
      await theirs.set('written-by-connect-redis', data);
      expect(await ours.get('written-by-connect-redis')).toEqual(JSON.parse(JSON.stringify(data)));
      await ours.patch('written-by-connect-redis', { set: { cart: ['tea'] }, unset: ['empty'] }, { ttlMs: 300_000 });
      const merged = await theirs.get('written-by-connect-redis');
      expect(merged).toEqual(JSON.parse(JSON.stringify({ ...data, cart: ['tea'], empty: undefined })));
      await ours.touch('written-by-connect-redis', { ttlMs: 900_000 });
      expect(await ioredis.pttl(`${prefix}written-by-connect-redis`)).toBeGreaterThan(800_000);
      expect(await ours.length()).toBeGreaterThanOrEqual(1);
    });

    it('sessions written by sessionkit are read, touched and destroyed by connect-redis', async () => {
      const data = expressSession({ user: 'ann', cart: [{ sku: 'tea', qty: 2 }] });
      await ours.set('written-by-sessionkit', JSON.parse(JSON.stringify(data)), { ttlMs: 600_000 });
      expect(await theirs.get('written-by-sessionkit')).toEqual(JSON.parse(JSON.stringify(data)));
      expect(await theirs.ids()).toContain('written-by-sessionkit');
      await theirs.touch('written-by-sessionkit', data);
      expect(await ours.get('written-by-sessionkit')).toEqual(JSON.parse(JSON.stringify(data)));
      await theirs.destroy('written-by-sessionkit');
      expect(await ours.get('written-by-sessionkit')).toBeNull();
    });

    it('the stored bytes are the same for the same session', async () => {
      const data = expressSession({ user: 'same', n: 1 });
      await theirs.set('bytes-connect-redis', data);
      await ours.set('bytes-sessionkit', JSON.parse(JSON.stringify(data)), { ttlMs: 600_000 });
      expect(await ioredis.get(`${prefix}bytes-sessionkit`)).toBe(await ioredis.get(`${prefix}bytes-connect-redis`));
    });
  },
);
