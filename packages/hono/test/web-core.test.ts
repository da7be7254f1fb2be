import { Client, listen } from '@sessionkit/adapter-suite';
import { StoreConfigError } from '@sessionkit/core';
import { MemorySessionStore } from '@sessionkit/memory';
import { getRequestListener } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSessions } from '../src/web.js';
import { COOKIE, honoApp, signedCookies } from './support/app.js';

const OLD = 'the old secret, at least 32 characters long';
const NEW = 'the new secret, at least 32 characters long';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function serve(store: MemorySessionStore, secret: string | string[]) {
  const server = await listen(getRequestListener(honoApp(store, { secret }).fetch));
  closers.push(server.close);
  return server.url;
}

describe('the signed cookie', () => {
  it('carries the usual attributes and the configured lifetime', async () => {
    const client = new Client(await serve(new MemorySessionStore(), NEW));
    await client.post('/login');
    const [line] = client.lastSetCookie;
    expect(line).toMatch(new RegExp(`^${COOKIE}=[A-Za-z0-9_-]{32}\\.[A-Za-z0-9_-]{43}; Max-Age=600; Expires=`));
    expect(line).toContain('; Path=/; HttpOnly; SameSite=Lax');
    expect(line).not.toContain('Secure');
  });

  it('rotates keys: a cookie signed with a listed older secret loads and is signed again with the first; an unlisted one is refused', async () => {
    const store = new MemorySessionStore();
    const before = new Client(await serve(store, OLD));
    await before.post('/login');
    const oldCookie = before.cookies.get(COOKIE)!;
    const sid = oldCookie.split('.')[0]!;

    const rotated = new Client(await serve(store, [NEW, OLD]));
    rotated.cookies.set(COOKIE, oldCookie);
    expect(await rotated.json('/me')).toMatchObject({ user: 'alice', sessionID: sid });
    expect(rotated.cookies.get(COOKIE)).toBe(signedCookies(sid, NEW)[COOKIE]);

    const dropped = new Client(await serve(store, NEW));
    dropped.cookies.set(COOKIE, oldCookie);
    expect(await dropped.json('/me')).toMatchObject({ user: null });
  });

  it('a read-only request inside touchAfterMs sends no Set-Cookie; logout clears the cookie', async () => {
    const client = new Client(await serve(new MemorySessionStore(), NEW));
    await client.post('/login');
    await client.json('/me');
    expect(client.lastSetCookie).toEqual([]);
    await client.post('/logout');
    expect(client.lastSetCookie[0]).toMatch(new RegExp(`^${COOKIE}=; Max-Age=0;`));
    expect(client.cookies.has(COOKIE)).toBe(false);
  });

  it('refuses a short secret, a bad cookie name and a bad lifetime with StoreConfigError', () => {
    const store = new MemorySessionStore();
    expect(() => new WebSessions(store, { secret: 'short' })).toThrow(StoreConfigError);
    expect(() => new WebSessions(store, { secret: [] })).toThrow(StoreConfigError);
    expect(() => new WebSessions(store, { secret: NEW, cookie: { name: 'a b' } })).toThrow(StoreConfigError);
    expect(() => new WebSessions(store, { secret: NEW, cookie: { maxAgeMs: -1 } })).toThrow(StoreConfigError);
  });
});

describe('the Web core without Hono (Request in, Set-Cookie lines out)', () => {
  it('a fetch-style handler keeps a counter across requests and writes only the changed key', async () => {
    const store = new MemorySessionStore();
    const sessions = new WebSessions(store, { secret: NEW });
    const handle = async (request: Request): Promise<Response> => {
      const session = await sessions.load(request);
      session.set('views', (session.get<number>('views') ?? 0) + 1);
      const response = Response.json({ views: session.get('views') });
      for (const line of await sessions.commit(session)) response.headers.append('Set-Cookie', line);
      return response;
    };
    let cookie = '';
    for (let views = 1; views <= 3; views += 1) {
      const response = await handle(new Request('http://app.test/', { headers: cookie ? { cookie } : {} }));
      expect(await response.json()).toEqual({ views });
      cookie = response.headers.getSetCookie()[0]?.split(';')[0] ?? cookie;
    }
    const sid = cookie.split('=')[1]!.split('.')[0]!;
    expect(await store.get(sid)).toMatchObject({ views: 3 });
  });
});
