import { StoreConfigError, type SessionStore } from '@sessionkit/core';
import { MemorySessionStore } from '@sessionkit/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from './http.js';

/**
 * One framework's `session({ store })` under test, serving the sealed-cookie suite's routes
 * (`/me`, `/login`, `/set/:key/:value`, `/regenerate`, `/logout`; see `CookieAdapterUnderTest`).
 * `memory://` must be registered (import `@sessionkit/memory`).
 */
export interface SwitchUnderTest {
  name: string;
  cookie: string;
  start(store: string | SessionStore): Promise<{ url: string; close(): Promise<void>; strategy: 'cookie' | 'server' }>;
  /** Calls the framework's `session(options)` (for the refusals at construction). */
  session(options: { store?: unknown; secret: string }): unknown;
  /** True when `regenerate` keeps the data under the new id (Hono), false when it starts empty (Express, Fastify). */
  regenerateKeepsData: boolean;
}

/**
 * Registers the one-switch scenarios with vitest: the same app code on `cookie://`, on a store URL
 * and on a `SessionStore` handed in, so `SESSION_STORE_URL` alone changes where sessions live.
 */
export function runSwitchSuite(adapter: SwitchUnderTest): void {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  describe(`${adapter.name}: session() switches strategy by its store option alone`, () => {
    const given = new MemorySessionStore();
    const cases: [string, string | SessionStore, 'cookie' | 'server'][] = [
      ['cookie://', 'cookie://', 'cookie'],
      ['memory:// (a store URL)', 'memory://', 'server'],
      ['a SessionStore handed in', given, 'server'],
    ];
    for (const [what, store, strategy] of cases) {
      it(`${what}: login, change, regenerate, logout`, async () => {
        const app = await adapter.start(store);
        closers.push(app.close);
        expect(app.strategy).toBe(strategy);
        const client = new Client(app.url);
        await client.post('/login');
        expect([...client.cookies.keys()]).toEqual([adapter.cookie]);
        await client.post('/set/cart/book');
        const me = await client.json('/me');
        expect(me).toMatchObject({ user: 'alice', keys: ['cart', 'user'] });
        if (store === given)
          expect(await given.get(String(me['sessionID']))).toMatchObject({ user: 'alice', cart: 'book' });
        await client.post('/regenerate');
        const after = await client.json('/me');
        expect(after).toMatchObject({ user: 'bob', keys: adapter.regenerateKeepsData ? ['cart', 'user'] : ['user'] });
        expect(after['sessionID']).not.toBe(me['sessionID']);
        if (store === given) expect(await given.get(String(me['sessionID']))).toBeNull();
        await client.post('/logout');
        expect(await client.json('/me')).toMatchObject({ user: null, keys: [] });
      });
    }

    it('refuses at once a missing store, an unknown scheme, a bad cookie:// parameter, a short secret', () => {
      const secret = 'a session() switch secret of 32+ characters';
      expect(() => adapter.session({ secret })).toThrow(StoreConfigError);
      expect(() => adapter.session({ store: 'nosuch://x', secret })).toThrow(
        /No session store is registered for "nosuch:"/,
      );
      expect(() => adapter.session({ store: 'cookie://?compres=true', secret })).toThrow(
        /cookie:\/\/ has no parameter "compres"/,
      );
      expect(() => adapter.session({ store: 'cookie://', secret: 'short' })).toThrow(StoreConfigError);
    });
  });
}
