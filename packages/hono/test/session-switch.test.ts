import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@sessionkit/memory';
import '@sessionkit/sql';
import { Client } from '@sessionkit/adapter-suite';
import { StoreConfigError, type SessionStore } from '@sessionkit/core';
import { MemorySessionStore } from '@sessionkit/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { session } from '../src/index.js';
import { COOKIE, startSessionApp } from './session-app.js';

// One app, one switch: the same routes on cookie://, on a store URL and on a SessionStore handed
// in, through real hono + @hono/node-server.
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('session() switches strategy by its store option alone', () => {
  const given = new MemorySessionStore();
  const cases: [string, () => string | SessionStore, 'cookie' | 'server'][] = [
    ['cookie://', () => 'cookie://', 'cookie'],
    ['memory:// (a store URL)', () => 'memory://', 'server'],
    ['a SessionStore handed in', () => given, 'server'],
  ];
  for (const [what, store, strategy] of cases) {
    it(`${what}: login, change, regenerate (data kept, new id), logout`, async () => {
      const app = await startSessionApp(store());
      closers.push(app.close);
      expect(app.sessions.strategy).toBe(strategy);
      const client = new Client(app.url);
      await client.post('/login');
      expect([...client.cookies.keys()]).toEqual([COOKIE]);
      await client.post('/set/cart/book');
      const me = await client.json('/me');
      expect(me).toMatchObject({ user: 'alice', keys: ['cart', 'user'] });
      if (store() === given) expect(await given.get(String(me['sessionID']))).toMatchObject({ user: 'alice', cart: 'book' });
      await client.post('/regenerate');
      const after = await client.json('/me');
      expect(after).toMatchObject({ user: 'bob', keys: ['cart', 'user'] });
      expect(after['sessionID']).not.toBe(me['sessionID']);
      if (store() === given) expect(await given.get(String(me['sessionID']))).toBeNull();
      await client.post('/logout');
      expect(await client.json('/me')).toMatchObject({ user: null, keys: [] });
    });
  }

  it('a store made from a URL keeps its sessions past the app (SQLite file); close() leaves a store handed in open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hono-session-'));
    try {
      const handedIn = session({ store: given, secret: 'a hono session() secret of 32+ characters' });
      await handedIn.close();
      await expect(given.get('anything-at-all-0123456789')).resolves.toBeNull();
      const url = `sqlite:${join(dir, 'sessions.db')}`;
      const owned = await startSessionApp(url);
      const client = new Client(owned.url);
      await client.post('/login');
      await owned.close();
      await expect(startSessionApp(url).then(async (again) => {
        closers.push(again.close);
        const back = new Client(again.url);
        back.cookies.set(COOKIE, client.cookies.get(COOKIE)!);
        return back.json('/me');
      })).resolves.toMatchObject({ user: 'alice' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses at once a missing store, an unknown scheme, a bad cookie:// parameter, a short secret', () => {
    const secret = 'a hono session() secret of 32+ characters';
    expect(() => session({ secret } as never)).toThrow(StoreConfigError);
    expect(() => session({ store: 'nosuch://x', secret })).toThrow(/No session store is registered for "nosuch:"/);
    expect(() => session({ store: 'cookie://?compres=true', secret })).toThrow(/cookie:\/\/ has no parameter "compres"/);
    expect(() => session({ store: 'cookie://', secret: 'short' })).toThrow(StoreConfigError);
  });
});
