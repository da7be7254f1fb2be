import { MemorySessionStore } from '@sessionkit/memory';
import { sleep } from '@sessionkit/test-suite';
import session from 'express-session';
import { afterEach, describe, expect, it } from 'vitest';
import { barrier, Client, CountingStore, listen } from '@sessionkit/adapter-suite';
import { ExpressSessionStore } from '../src/index.js';
import { sessionApp } from './support/app.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function start(store: session.Store, options: Partial<session.SessionOptions> = {}, hooks = {}) {
  const server = await listen(sessionApp(store, options, hooks));
  closers.push(server.close);
  return new Client(server.url);
}

function counted(options: ConstructorParameters<typeof ExpressSessionStore>[1] = {}) {
  const counting = new CountingStore(new MemorySessionStore());
  return { counting, adapter: new ExpressSessionStore(counting, options) };
}

describe('login, logout, regenerate over real HTTP', () => {
  it('login sets a cookie and the next request sees the data', async () => {
    const { adapter } = counted();
    const client = await start(adapter, { cookie: { maxAge: 60_000 } });
    expect(await client.json('/me')).toMatchObject({ user: null });
    await client.post('/login');
    expect(client.cookies.has('sid')).toBe(true);
    expect(await client.json('/me')).toMatchObject({ hasSession: true, user: 'alice' });
  });

  it('logout destroys the stored session', async () => {
    const { counting, adapter } = counted();
    const client = await start(adapter);
    await client.post('/login');
    const sid = String((await client.json('/me'))['sessionID']);
    expect(await counting.inner.get(sid)).not.toBeNull();
    await client.post('/logout');
    expect(await counting.inner.get(sid)).toBeNull();
    expect(await client.json('/me')).toMatchObject({ user: null });
  });

  it('regenerate moves the user to a new sid and drops the old one', async () => {
    const { counting, adapter } = counted();
    const client = await start(adapter);
    await client.post('/login');
    const before = String((await client.json('/me'))['sessionID']);
    await client.post('/regenerate');
    const after = await client.json('/me');
    expect(after).toMatchObject({ user: 'bob' });
    expect(after['sessionID']).not.toBe(before);
    expect(await counting.inner.get(before)).toBeNull();
  });

  it('works with callbacks and with promises', async () => {
    const adapter = new ExpressSessionStore(new MemorySessionStore());
    const sess = { cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000).toISOString() }, n: 1 };
    await adapter.set('promise-sid-1', sess);
    expect(await adapter.get('promise-sid-1')).toMatchObject({ n: 1 });
    expect(await adapter.length()).toBe(1);
    const viaCallback = await new Promise((resolve, reject) =>
      adapter.get('promise-sid-1', (err, data) => (err ? reject(err) : resolve(data))),
    );
    expect(viaCallback).toMatchObject({ n: 1 });
    expect(Object.keys(await adapter.all())).toEqual(['promise-sid-1']);
    await new Promise<void>((resolve, reject) =>
      adapter.destroy('promise-sid-1', (err) => (err ? reject(err) : resolve())),
    );
    expect(await adapter.get('promise-sid-1')).toBeNull();
    await adapter.set('promise-sid-2', sess);
    await new Promise<void>((resolve, reject) => adapter.clear((err) => (err ? reject(err) : resolve())));
    expect(await adapter.length()).toBe(0);
  });
});

describe('two requests in flight on one session, one adds cart, the other wishlist', () => {
  async function race(store: session.Store): Promise<unknown> {
    const bothLoaded = barrier(2);
    const client = await start(store, { cookie: { maxAge: 60_000 } }, { beforeWrite: bothLoaded });
    await client.post('/login');
    // Both requests load the session, wait for each other, then each changes its own key and saves.
    await Promise.all([client.post('/set/cart/book'), client.post('/set/wishlist/lamp')]);
    return (await client.json('/me'))['keys'];
  }

  it('ExpressSessionStore keeps both keys (each save patches only its own key)', async () => {
    const { counting, adapter } = counted();
    expect(await race(adapter)).toEqual(['cart', 'user', 'wishlist']);
    expect(counting.calls.filter((call) => call === 'set')).toHaveLength(1); // only the login created the session
  });

  it("express-session's MemoryStore loses one of them (whole-session writes: the last save wins)", async () => {
    const keys = (await race(new session.MemoryStore())) as string[];
    expect(keys).toContain('user');
    expect(keys.filter((key) => key === 'cart' || key === 'wishlist')).toHaveLength(1);
  });
});

describe('store calls per request', () => {
  it('a read-only request inside touchAfterMs makes one call (get) and no write', async () => {
    const { counting, adapter } = counted();
    const client = await start(adapter, { cookie: { maxAge: 600_000 } }); // touchAfterMs = 60 s
    await client.post('/login');
    counting.reset();
    for (let i = 0; i < 5; i += 1) await client.json('/me');
    expect(counting.calls).toEqual(['get', 'get', 'get', 'get', 'get']);
  });

  it('a write request makes one read and one patch', async () => {
    const { counting, adapter } = counted();
    const client = await start(adapter, { cookie: { maxAge: 600_000 } });
    await client.post('/login');
    expect(counting.calls).toEqual(['set']); // new session: no read (no cookie yet), one write
    counting.reset();
    await client.post('/set/cart/book');
    expect(counting.calls).toEqual(['get', 'patch']);
  });

  it('after touchAfterMs the next read-only request refreshes the expiry once, and the stored cookie shows it', async () => {
    const { counting, adapter } = counted({ touchAfterMs: 300 });
    const client = await start(adapter, { cookie: { maxAge: 600_000 } });
    await client.post('/login');
    const sid = String((await client.json('/me'))['sessionID']);
    const expiresBefore = ((await counting.inner.get(sid))!['cookie'] as { expires: string }).expires;
    await sleep(400);
    counting.reset();
    await client.json('/me');
    await client.json('/me');
    expect(counting.calls).toEqual(['get', 'patch', 'get']);
    const expiresAfter = ((await counting.inner.get(sid))!['cookie'] as { expires: string }).expires;
    expect(Date.parse(expiresAfter)).toBeGreaterThan(Date.parse(expiresBefore));
  });

  it('browser-session cookies (no maxAge): read-only requests do not write inside touchAfterMs either', async () => {
    const { counting, adapter } = counted({ touchAfterMs: 60_000 });
    const client = await start(adapter);
    await client.post('/login');
    counting.reset();
    for (let i = 0; i < 3; i += 1) await client.json('/me');
    expect(counting.calls).toEqual(['get', 'get', 'get']);
  });

  it('with resave: true an unchanged session is still only read inside touchAfterMs', async () => {
    const { counting, adapter } = counted();
    const client = await start(adapter, { resave: true, cookie: { maxAge: 600_000 } });
    await client.post('/login');
    counting.reset();
    await client.json('/me');
    await client.json('/me');
    expect(counting.calls).toEqual(['get', 'get']);
  });
});
