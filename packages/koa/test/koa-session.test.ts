import { createHmac } from 'node:crypto';
import { barrier, Client, CountingStore, listen } from '@sessionkit/adapter-suite';
import { MemorySessionStore } from '@sessionkit/memory';
import { sleep } from '@sessionkit/test-suite';
import Koa from 'koa';
import session from 'koa-session';
import { afterEach, describe, expect, it } from 'vitest';
import { koaStore, type KoaStoreOptions } from '../src/index.js';

const COOKIE = 'koa.sess';
const KEY = 'test secret';

/** The `.sig` cookie Koa (keygrip, HMAC-SHA1, base64url) expects for `name=value`. */
function signature(name: string, value: string): string {
  return createHmac('sha1', KEY).update(`${name}=${value}`).digest('base64url');
}
type Bag = Record<string, unknown>;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

interface Setup {
  sessionOptions?: Record<string, unknown>;
  storeOptions?: KoaStoreOptions;
  beforeWrite?: () => Promise<void>;
}

/** A Koa 3 app with koa-session 7 in external-store mode: login, read, set one key, logout. */
async function start({ sessionOptions = {}, storeOptions = {}, beforeWrite }: Setup = {}) {
  const memory = new MemorySessionStore();
  const counting = new CountingStore(memory);
  const app = new Koa();
  app.keys = [KEY];
  app.use(session({ key: COOKIE, store: koaStore(counting, storeOptions), ...sessionOptions }, app));
  app.use(async (ctx) => {
    const bag = ctx.session as unknown as Bag;
    const set = /^\/set\/(\w+)\/(\w+)$/.exec(ctx.path);
    if (ctx.method === 'POST' && ctx.path === '/login') bag['user'] = 'alice';
    else if (ctx.method === 'POST' && ctx.path === '/logout') ctx.session = null;
    else if (ctx.method === 'POST' && set) {
      await beforeWrite?.();
      bag[set[1]!] = set[2];
    } else if (ctx.path !== '/me') return;
    ctx.body = { user: ctx.session?.['user'] ?? null, keys: Object.keys(ctx.session?.toJSON() ?? {}).sort() };
  });
  const server = await listen(app.callback());
  closers.push(server.close);
  const client = new Client(server.url);
  const key = () => client.cookies.get(COOKIE)!;
  return { memory, counting, client, key };
}

describe('koaStore with koa-session over real HTTP', () => {
  it('login, read, logout', async () => {
    const { memory, client, key } = await start();
    expect(await client.json('/me')).toMatchObject({ user: null });
    await client.post('/login');
    expect(await client.json('/me')).toMatchObject({ user: 'alice' });
    expect(await memory.get(key())).toMatchObject({ user: 'alice' });
    const stored = key();
    await client.post('/logout');
    expect(await memory.get(stored)).toBeNull();
    expect(await client.json('/me')).toMatchObject({ user: null });
  });

  it('expiry: a session older than maxAge is gone, and the store TTL is koa-session maxAge (+10 s it adds)', async () => {
    const { memory, client, key } = await start({ sessionOptions: { maxAge: 800 } });
    await client.post('/login');
    const ttl = memory.remainingTtlMs(key())!;
    expect(ttl).toBeGreaterThan(10_000);
    expect(ttl).toBeLessThanOrEqual(10_800);
    await sleep(1200);
    expect(await client.json('/me')).toMatchObject({ user: null });
  });

  it("maxAge 'session' uses defaultTtlMs", async () => {
    const { memory, client, key } = await start({
      sessionOptions: { maxAge: 'session' },
      storeOptions: { defaultTtlMs: 5000 },
    });
    await client.post('/login');
    expect(memory.remainingTtlMs(key())).toBeLessThanOrEqual(5000);
    expect(memory.remainingTtlMs(key())).toBeGreaterThan(3000);
    expect(await client.json('/me')).toMatchObject({ user: 'alice' });
  });

  it('rolling: each request refreshes the expiry by patching only _expire, never rewriting the session', async () => {
    const { memory, counting, client, key } = await start({ sessionOptions: { maxAge: 1500, rolling: true } });
    await client.post('/login');
    // Keep reading for longer than maxAge: rolling keeps the session alive.
    for (let i = 0; i < 4; i += 1) {
      await sleep(500);
      const before = memory.remainingTtlMs(key())!;
      counting.reset();
      expect(await client.json('/me')).toMatchObject({ user: 'alice' });
      expect(counting.calls).toEqual(['get', 'patch']);
      expect(memory.remainingTtlMs(key())!).toBeGreaterThan(before);
    }
    expect(((await memory.get(key()))!['_expire'] as number) - Date.now()).toBeGreaterThan(1000);
  });

  it("rolling with maxAge 'session': nothing moved, so the store is touched", async () => {
    const { counting, client } = await start({ sessionOptions: { maxAge: 'session', rolling: true } });
    await client.post('/login');
    counting.reset();
    await client.json('/me');
    expect(counting.calls).toEqual(['get', 'touch']);
  });

  it('without rolling a read-only request makes one store call (get)', async () => {
    const { counting, client } = await start({ sessionOptions: { maxAge: 60_000 } });
    await client.post('/login');
    counting.reset();
    await client.json('/me');
    await client.json('/me');
    expect(counting.calls).toEqual(['get', 'get']);
  });

  it('two requests in flight on one session, one adding cart and one wishlist, keep both keys', async () => {
    const bothLoaded = barrier(2);
    const { client } = await start({ beforeWrite: bothLoaded });
    await client.post('/login');
    await Promise.all([client.post('/set/cart/book'), client.post('/set/wishlist/lamp')]);
    expect((await client.json('/me'))['keys']).toEqual(['cart', 'user', 'wishlist']);
  });

  it('control: the signing used below is what Koa accepts (a signed valid key loads its session)', async () => {
    const { memory, client } = await start();
    await memory.set('handmade-key-0001', { user: 'carol' }, { ttlMs: 60_000 });
    client.cookies.set(COOKIE, 'handmade-key-0001');
    client.cookies.set(`${COOKIE}.sig`, signature(COOKIE, 'handmade-key-0001'));
    expect(await client.json('/me')).toMatchObject({ user: 'carol' });
  });

  // koa's cookies are not percent-decoded, so over HTTP only the length can be wrong; control
  // characters are covered by the direct calls below.
  it.each([['x'.repeat(257)]])(
    'a validly signed key that is not a valid sid (%s) never reaches the store and starts a new session',
    async (bad) => {
      const { counting, client } = await start();
      client.cookies.set(COOKIE, encodeURIComponent(bad));
      client.cookies.set(`${COOKIE}.sig`, signature(COOKIE, encodeURIComponent(bad)));
      expect(await client.json('/me')).toMatchObject({ user: null });
      expect(counting.calls).toEqual([]);
      await client.post('/login');
      expect(client.cookies.get(COOKIE)).not.toBe(bad);
      expect(await client.json('/me')).toMatchObject({ user: 'alice' });
    },
  );
});

describe('koaStore direct calls', () => {
  const ctx = {};
  it('refuses an invalid defaultTtlMs and unsafe data, and ignores invalid keys', async () => {
    expect(() => koaStore(new MemorySessionStore(), { defaultTtlMs: 0 })).toThrow(/defaultTtlMs/);
    const memory = new MemorySessionStore();
    const store = koaStore(memory);
    expect(await store.get('bad\u0000key', 1000, { ctx })).toBeNull();
    await store.destroy('bad\u0000key', { ctx });
    await expect(store.set('validkoakey-123', { n: 10n }, 1000, { ctx })).rejects.toMatchObject({
      code: 'ERR_SESSION_ENCODE',
    });
    await expect(store.set('bad\u0000key', { n: 1 }, 1000, { ctx })).rejects.toMatchObject({
      code: 'ERR_SESSION_ID_INVALID',
    });
    expect(await memory.length()).toBe(0);
  });

  it('a stored session that does not decode is absent and logged once', async () => {
    const warnings: string[] = [];
    class Corrupt extends MemorySessionStore {
      protected override async read(sid: string) {
        const { decodeSession } = await import('@sessionkit/core');
        return decodeSession(sid, '{"user": ');
      }
    }
    const store = koaStore(new Corrupt(), { logger: { warn: (message) => warnings.push(message) } });
    expect(await store.get('corruptkey-1234', 1000, { ctx })).toBeNull();
    expect(await store.get('corruptkey-1234', 1000, { ctx })).toBeNull();
    expect(warnings).toHaveLength(1);
  });
});
