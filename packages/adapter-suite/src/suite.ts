import type { FailMode, SessionStore } from '@sessionkit/core';
import { eventually } from '@sessionkit/test-suite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type OpenedBackend } from './backends.js';
import { CountingStore } from './counting-store.js';
import { barrier, Client } from './http.js';
import { HttpSessionStore, sessionServerForTests } from './outage-store.js';
import { behindBalancer } from './two-processes.js';

/** How the scenarios reach one adapter's app. */
export interface AppOptions {
  failMode?: FailMode;
  /** Awaited by `POST /set/:key/:value` after the session is loaded and before it is changed. */
  beforeWrite?: () => Promise<void>;
  /** Receives the adapter's warnings (its `logger.warn`). */
  warn?: (message: string) => void;
}

/**
 * One framework adapter under test. `start` serves the standard app on `store` through the real
 * framework, on 127.0.0.1, with a Node server that accepts 64 KiB of headers (see `listen`):
 *
 * - `GET /me` → `{ sessionID: string | null, user: string | null, keys: string[] }` (the app's own keys, sorted)
 * - `POST /login` sets `user: 'alice'`; `POST /set/:key/:value` awaits `beforeWrite`, then sets the key
 * - `POST /logout` destroys the session; `POST /regenerate` moves it to a new sid and sets `user: 'bob'`
 * - an error answers its `status` / `statusCode` (else 500) with `{ code }`, never a stack
 */
export interface AdapterUnderTest {
  name: string;
  start(store: SessionStore, options: AppOptions): Promise<{ url: string; close(): Promise<void> }>;
  /** The cookies (name → value, as sent) that carry `sid`, signed with `secret` (default: the app's own). */
  signedCookies(sid: string, secret?: string): Record<string, string> | Promise<Record<string, string>>;
  /** The name of the cookie holding the session id (signed or not). */
  cookie: string;
  /**
   * True when the framework keeps the session id its cookie names even when nothing is stored
   * under it (React Router's `createSessionStorage`): a validly signed malformed id then reads as
   * an empty session, and saving under it is refused with 400 (`InvalidSessionIdError`).
   */
  keepsCookieId?: boolean;
  /**
   * A script that serves the standard app plus `GET /healthz` on the store URL in `STORE_URL`,
   * with `X-Served-By: <INSTANCE>`, and prints its port on stdout. Enables the two-process scenario.
   */
  serverScript?: string;
}

/** Not a valid sessionkit sid under any version of the rules: too long. */
const MALFORMED_SID = 'x'.repeat(300);
const VALID_SID = 'handmadesessionid0123456789abcdef';

/**
 * Registers the shared adapter scenarios with vitest: per store (memory, Redis, SQLite) sessions,
 * store calls per request, lost updates, bad input; then store-down behaviour and, with
 * `serverScript`, two processes behind the sessionkit balancer.
 *
 * @example
 * // test/adapter-suite.test.ts of a framework adapter
 * runAdapterSuite({
 *   name: 'koaStore',
 *   cookie: 'koa.sess',
 *   signedCookies: (sid) => ({ 'koa.sess': encodeURIComponent(sid), 'koa.sess.sig': signatureOf(sid) }),
 *   start: (store, options) => listen(koaApp(store, options).callback()),
 * });
 */
export function runAdapterSuite(adapter: AdapterUnderTest): void {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  async function start(store: SessionStore, options: AppOptions = {}) {
    const counting = new CountingStore(store);
    const app = await adapter.start(counting, options);
    closers.push(app.close);
    return { counting, client: new Client(app.url), url: app.url };
  }

  for (const backend of BACKENDS) {
    describe(`${adapter.name} on ${backend.name}`, () => {
      let opened: OpenedBackend | undefined;
      let skip = false;
      beforeAll(async () => {
        skip = !(await backend.available());
        if (!skip) opened = await backend.open();
      });
      afterAll(async () => {
        await opened?.close();
      });
      const scenario = (title: string, body: (b: OpenedBackend) => Promise<void>, timeout?: number) =>
        it(
          title,
          async (context) => {
            if (skip || !opened) return context.skip();
            await body(opened);
          },
          timeout,
        );

      scenario('login, read, logout: the stored session is created, read and destroyed', async ({ store }) => {
        const { client } = await start(store);
        expect(await client.json('/me')).toMatchObject({ user: null });
        await client.post('/login');
        const me = await client.json('/me');
        expect(me).toMatchObject({ user: 'alice', keys: ['user'] });
        const sid = String(me['sessionID']);
        expect(await store.get(sid)).toMatchObject({ user: 'alice' });
        await client.post('/logout');
        expect(await store.get(sid)).toBeNull();
        expect(await client.json('/me')).toMatchObject({ user: null });
      });

      scenario('regenerate moves the user to a new sid and drops the old one', async ({ store }) => {
        const { client } = await start(store);
        await client.post('/login');
        const before = String((await client.json('/me'))['sessionID']);
        await client.post('/regenerate');
        const after = await client.json('/me');
        expect(after).toMatchObject({ user: 'bob' });
        expect(after['sessionID']).not.toBe(before);
        expect(await store.get(before)).toBeNull();
        expect(await store.get(String(after['sessionID']))).toMatchObject({ user: 'bob' });
      });

      scenario(
        'a read-only request is one store read and no write; a change is one read and one patch',
        async ({ store }) => {
          const { counting, client } = await start(store);
          await client.post('/login');
          counting.reset();
          for (let i = 0; i < 3; i += 1) await client.json('/me');
          expect(counting.calls).toEqual(['get', 'get', 'get']);
          counting.reset();
          await client.post('/set/cart/book');
          expect(counting.calls).toEqual(['get', 'patch']);
        },
      );

      scenario(
        'two requests in flight on one session, one adding cart and one wishlist, keep both keys',
        async ({ store }) => {
          const { client } = await start(store, { beforeWrite: barrier(2) });
          await client.post('/login');
          await Promise.all([client.post('/set/cart/book'), client.post('/set/wishlist/lamp')]);
          expect((await client.json('/me'))['keys']).toEqual(['cart', 'user', 'wishlist']);
        },
      );

      scenario(
        "control: a validly signed valid sid loads its session (so the refusals below are the adapter's own)",
        async ({ store }) => {
          const { client } = await start(store);
          await client.post('/login');
          const sid = String((await client.json('/me'))['sessionID']);
          const other = new Client(client.baseUrl);
          for (const [name, value] of Object.entries(await adapter.signedCookies(sid))) other.cookies.set(name, value);
          expect(await other.json('/me')).toMatchObject({ sessionID: sid, user: 'alice' });
        },
      );

      const badCookies: [string, () => Record<string, string> | Promise<Record<string, string>>][] = [
        ['a validly signed sid that is not a valid sid', () => adapter.signedCookies(MALFORMED_SID)],
        [
          'a tampered signature',
          () => adapter.signedCookies(VALID_SID, 'a different secret of enough length 0123456789'),
        ],
        ['a 20 KB session cookie', () => ({ [adapter.cookie]: 'A'.repeat(20_000) })],
      ];
      for (const [what, cookies] of badCookies) {
        scenario(`bad input: ${what} never reaches the store; the request gets a fresh session`, async ({ store }) => {
          await store.set(
            VALID_SID,
            { cookie: { originalMaxAge: null, expires: null }, user: 'mallory' },
            { ttlMs: 60_000 },
          );
          const { counting, client } = await start(store);
          for (const [name, value] of Object.entries(await cookies())) client.cookies.set(name, value);
          const response = await client.request('/me');
          expect(response.status).toBe(200);
          expect(await response.json()).toMatchObject({ user: null });
          expect(counting.calls.filter((call) => call === 'get')).toEqual([]);
          const login = await client.request('/login', { method: 'POST' });
          if (adapter.keepsCookieId && what.includes('not a valid sid')) {
            expect(login.status).toBe(400);
            expect(await login.json()).toMatchObject({ code: 'ERR_SESSION_ID_INVALID' });
          } else {
            expect(login.status).toBe(200);
            expect(await client.json('/me')).toMatchObject({ user: 'alice' });
          }
          await store.destroy(VALID_SID);
        });
      }

      scenario(
        'bad input: a 20 KB cookie header of other cookies is served with a fresh session',
        async ({ store }) => {
          const { client } = await start(store);
          const junk = Array.from({ length: 400 }, (_, i) => `junk${i}=${'j'.repeat(40)}`).join('; ');
          expect(junk.length).toBeGreaterThan(19_000);
          const response = await client.request('/me', { headers: { cookie: junk } });
          expect(response.status).toBe(200);
          expect(await response.json()).toMatchObject({ user: null });
        },
      );

      scenario('bad input: a stored session that does not decode is a fresh session, logged once', async (b) => {
        const warnings: string[] = [];
        const { client } = await start(b.store, { warn: (message) => warnings.push(message) });
        await client.post('/login');
        const sid = String((await client.json('/me'))['sessionID']);
        const cookies = new Map(client.cookies);
        await b.corrupt(sid);
        for (let i = 0; i < 2; i += 1) {
          for (const [name, value] of cookies) client.cookies.set(name, value);
          const response = await client.request('/me');
          expect(response.status).toBe(200);
          expect(await response.json()).toMatchObject({ user: null });
        }
        expect(warnings.filter((line) => line.includes(sid))).toHaveLength(1);
        await client.post('/login');
        expect(await client.json('/me')).toMatchObject({ user: 'alice' });
      });

      if (adapter.serverScript && backend.name !== 'memory') {
        scenario(
          'two processes behind the sessionkit balancer: concurrent adds spread over both all survive',
          async (b) => {
            const { keys, servedBy } = await behindBalancer(adapter.serverScript!, b.url!, 20);
            expect(new Set(servedBy)).toEqual(new Set(['a', 'b']));
            expect(keys).toEqual(
              ['user', ...Array.from({ length: 20 }, (_, i) => `item${String(i).padStart(2, '0')}`)].sort(),
            );
          },
          90_000,
        );
      }
    });
  }

  describe(`${adapter.name} with the store down (a real session server in a child process)`, () => {
    // SIGSTOP makes the server hang, SIGKILL makes it refuse connections. Only generous bounds on
    // time: they catch a hang, not slowness.
    // Room for a busy machine: a call to the healthy server never comes near it.
    const OPERATION_TIMEOUT_MS = 1500;
    const HANG_BOUND_MS = OPERATION_TIMEOUT_MS + 10_000;
    const server = sessionServerForTests();

    async function loggedIn(failMode: FailMode) {
      const store = new HttpSessionStore(server.url, { operationTimeoutMs: OPERATION_TIMEOUT_MS });
      await eventually(async () => (await store.length()) >= 0, 15_000); // the server answers before the clock starts
      const { client, url } = await start(store, { failMode });
      await client.post('/login');
      expect(await client.json('/me')).toMatchObject({ user: 'alice' });
      return { client, url, cookies: new Map(client.cookies) };
    }

    async function timed(work: Promise<Response>): Promise<{ response: Response; ms: number; body: string }> {
      const started = performance.now();
      const response = await work;
      const body = await response.text();
      return { response, ms: performance.now() - started, body };
    }

    it("failMode 'open': a fresh session while the store hangs, the user's cookie kept, and back by itself", async () => {
      const { client, cookies } = await loggedIn('open');
      server.pause();
      for (let i = 0; i < 2; i += 1) {
        const { response, ms, body } = await timed(client.request('/me'));
        expect(response.status).toBe(200);
        expect(ms).toBeLessThan(HANG_BOUND_MS);
        expect(JSON.parse(body)).toMatchObject({ user: null });
        expect(client.cookies).toEqual(cookies);
      }
      server.resume();
      expect(await eventually(async () => (await client.json('/me'))['user'] === 'alice', 15_000)).toBe(true);
      expect(client.cookies).toEqual(cookies);
    });

    it("failMode 'closed': 503 without a stack while the store refuses connections, and back after a restart", async () => {
      const { client, url } = await loggedIn('closed');
      await server.stop();
      // The known visitor's read, and a new visitor's login (a write), both refused.
      for (const [who, path, method] of [
        [client, '/me', 'GET'],
        [new Client(url), '/login', 'POST'],
      ] as const) {
        const { response, ms, body } = await timed(who.request(path, { method }));
        expect(response.status).toBe(503);
        expect(ms).toBeLessThan(HANG_BOUND_MS);
        expect(body).not.toMatch(/\n\s+at /);
      }
      await server.start(); // same port, empty backend: the old session is gone
      expect(await eventually(async () => (await client.request('/me')).status === 200, 15_000)).toBe(true);
      await client.post('/login');
      expect(await client.json('/me')).toMatchObject({ user: 'alice' });
    });
  });
}
