import { randomBytes } from 'node:crypto';
import type { SessionStore } from '@sessionkit/core';
import { MemorySessionStore } from '@sessionkit/memory';
import { RedisSessionStore } from '@sessionkit/redis';
import { CountingStore } from '@sessionkit/adapter-suite';
import { eventually, REDIS_URL, redisAvailable, sparePort } from '@sessionkit/test-suite';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieApp } from './support/app.js';
import { Client, listen, SECRET_A } from './support/http.js';

const MAX_AGE = 3_600_000;

const available = await redisAvailable();
const prefix = `sessionkit-test:cookie-revocation:${randomBytes(4).toString('hex')}:`;

const backends: { name: string; available: boolean; open: () => SessionStore }[] = [
  { name: 'memory://', available: true, open: () => new MemorySessionStore() },
  // ids() and clear() SCAN the shared server's whole keyspace, which other test runs may fill: generous timeout.
  {
    name: 'Redis',
    available,
    open: () => RedisSessionStore.fromUrl(REDIS_URL, { prefix, operationTimeoutMs: 60_000 }),
  },
];

for (const backend of backends) {
  describe.runIf(backend.available)(`revocation on ${backend.name}`, () => {
    let store: CountingStore;
    let server: Awaited<ReturnType<typeof listen>>;
    let fixture: ReturnType<typeof cookieApp>;
    beforeAll(async () => {
      store = new CountingStore(backend.open());
      fixture = cookieApp({ secrets: [SECRET_A], name: 'sid', cookie: { maxAge: MAX_AGE }, revocation: { store } });
      server = await listen(fixture.app);
    });
    afterAll(async () => {
      await server.close();
      await store.clear();
      await store.close();
    });

    const signIn = async (user: string) => {
      const client = new Client(server.url);
      await client.post('/set/userId', { value: user });
      return client;
    };

    it('revokeUser ends every session issued for that user before now, on every device; others keep theirs', async () => {
      const laptop = await signIn('u1');
      const phone = await signIn('u1');
      const other = await signIn('u2');
      await fixture.sessions.revokeUser('u1');
      fixture.invalid.length = 0;
      expect((await laptop.json('/me'))['data']).toEqual({});
      expect((await phone.json('/me'))['data']).toEqual({});
      expect(fixture.invalid).toEqual([
        { reason: 'revoked', name: 'sid' },
        { reason: 'revoked', name: 'sid' },
      ]);
      expect(laptop.clearedNames()).toEqual(['sid']);
      expect((await other.json('/me'))['data']).toEqual({ userId: 'u2' });
      // Signing in again after the revocation gives a session that opens.
      const again = await signIn('u1');
      expect((await again.json('/me'))['data']).toEqual({ userId: 'u1' });
    });

    it('a session that changes user after a revocation is issued anew', async () => {
      const client = new Client(server.url);
      await client.post('/set/cart', { value: ['tea'] });
      await fixture.sessions.revokeUser('u3');
      await client.post('/set/userId', { value: 'u3' });
      expect((await client.json('/me'))['data']).toEqual({ cart: ['tea'], userId: 'u3' });
    });

    it('costs at most one store read per request, none for a session without a user', async () => {
      const user = await signIn('u4');
      const anonymous = new Client(server.url);
      await anonymous.post('/set/cart', { value: ['mug'] });
      store.reset();
      for (let i = 0; i < 5; i++) await user.json('/me');
      expect(store.calls).toEqual(['get', 'get', 'get', 'get', 'get']);
      store.reset();
      for (let i = 0; i < 5; i++) await anonymous.json('/me');
      expect(store.calls).toEqual([]);
    });

    it('keeps the record for the session lifetime (the cookie maxAge)', async () => {
      await fixture.sessions.revokeUser('u5');
      const ids: string[] = [];
      for await (const id of store.ids()) ids.push(id);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids.every((id) => id.startsWith('sessionkit-revoked:') && !id.includes('u5'))).toBe(true);
      if (store.inner instanceof MemorySessionStore) {
        const ttls = ids.map((id) => (store.inner as MemorySessionStore).remainingTtlMs(id)!);
        expect(Math.max(...ttls)).toBeGreaterThan(MAX_AGE - 60_000);
        expect(Math.max(...ttls)).toBeLessThanOrEqual(MAX_AGE);
      } else {
        const client = new Redis(REDIS_URL);
        try {
          const ttls = await Promise.all(ids.map((id) => client.pttl(prefix + id)));
          expect(Math.max(...ttls)).toBeGreaterThan(MAX_AGE - 60_000);
          expect(Math.max(...ttls)).toBeLessThanOrEqual(MAX_AGE);
        } finally {
          client.disconnect();
        }
      }
    });

    it('revocationCacheMs trades the read for a bounded window', async () => {
      const cached = cookieApp({ secrets: [SECRET_A], name: 'sid', revocation: { store }, revocationCacheMs: 600_000 });
      const brief = cookieApp({ secrets: [SECRET_A], name: 'sid', revocation: { store }, revocationCacheMs: 300 });
      const servers = [await listen(cached.app), await listen(brief.app)];
      try {
        const client = new Client(servers[0]!.url);
        await client.post('/set/userId', { value: 'u6' });
        store.reset();
        for (let i = 0; i < 5; i++) await client.json('/me');
        // One read, then the cached answer.
        expect(store.calls.filter((call) => call === 'get')).toEqual(['get']);
        // A revocation made through this instance applies here at once.
        await cached.sessions.revokeUser('u6');
        expect((await client.json('/me'))['data']).toEqual({});

        // Made through another instance, it applies here once the cached answer is older than revocationCacheMs.
        const other = new Client(servers[1]!.url);
        await other.post('/set/userId', { value: 'u6b' });
        expect((await other.json('/me'))['data']).toEqual({ userId: 'u6b' });
        await fixture.sessions.revokeUser('u6b');
        expect(await eventually(async () => JSON.stringify((await other.json('/me'))['data']) === '{}', 10_000)).toBe(
          true,
        );
      } finally {
        await Promise.all(servers.map((server) => server.close()));
      }
    });
  });
}

describe('revocation store down', () => {
  let down: SessionStore;
  let upStore: MemorySessionStore;
  beforeAll(async () => {
    down = RedisSessionStore.fromUrl(`redis://127.0.0.1:${await sparePort()}`, { prefix, operationTimeoutMs: 300 });
    upStore = new MemorySessionStore();
  });
  afterAll(async () => {
    await down.close();
  });

  for (const failMode of ['open', 'closed'] as const) {
    it(`failMode '${failMode}'`, async () => {
      // The cookie is made while the store answers; then the same secrets meet a store that does not.
      const up = cookieApp({ secrets: [SECRET_A], name: 'sid', revocation: { store: upStore } });
      const fixture = cookieApp({
        secrets: [SECRET_A],
        name: 'sid',
        revocation: { store: down },
        failMode,
        logger: { warn: () => {} },
      });
      const servers = [await listen(up.app), await listen(fixture.app)];
      try {
        const client = new Client(servers[0]!.url);
        await client.post('/set/userId', { value: 'u7' });
        const cookie = client.cookieHeader;
        const response = await fetch(`${servers[1]!.url}/me`, { headers: { cookie } });
        if (failMode === 'open') {
          expect(response.status).toBe(200);
          expect(((await response.json()) as { data: unknown }).data).toEqual({ userId: 'u7' });
        } else {
          expect(response.status).toBe(503);
          expect(((await response.json()) as { code: string }).code).toBe('ERR_STORE_UNAVAILABLE');
        }
        // Anonymous sessions need no check and pass either way.
        expect((await fetch(`${servers[1]!.url}/me`)).status).toBe(200);
      } finally {
        await Promise.all(servers.map((server) => server.close()));
      }
    });
  }

  it('revokeUser rejects while the store is down, and says why', async () => {
    const fixture = cookieApp({ secrets: [SECRET_A], revocation: { store: down } });
    await expect(fixture.sessions.revokeUser('u8')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
  });

  it('revokeUser without the revocation option is a configuration error', async () => {
    const fixture = cookieApp({ secrets: [SECRET_A] });
    await expect(fixture.sessions.revokeUser('u9')).rejects.toMatchObject({
      code: 'ERR_STORE_CONFIG',
      message: expect.stringMatching(/revokeUser needs the revocation option/),
    });
  });
});

describe('revocation store from a URL', () => {
  it('is created with createStore and closed by close()', async () => {
    await import('@sessionkit/memory');
    const fixture = cookieApp({ secrets: [SECRET_A], revocation: { store: 'memory://' } });
    await fixture.sessions.revokeUser('u10');
    await fixture.sessions.close();
  });
});
