import { CookieSealer } from '@sessionkit/cookie';
import type { FailMode, SessionData, SessionStore } from '@sessionkit/core';
import { MemorySessionStore } from '@sessionkit/memory';
import { eventually } from '@sessionkit/test-suite';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from './http.js';
import { HttpSessionStore, sessionServerForTests } from './outage-store.js';

/** How the sealed-cookie scenarios start one framework's app under `session({ store: 'cookie://' })`. */
export interface CookieAppOptions {
  /** The `store` option: `'cookie://'`, possibly with a query. */
  store: string;
  /** The sealing secrets, first seals (each ≥ 32 characters). */
  secrets: string[];
  /** Revocation through a store; the user of a session is its `user` key. */
  revocation?: { store: SessionStore; principal: (data: SessionData) => string | undefined };
  failMode?: FailMode;
  /** Receives each `invalid` event's reason. */
  onInvalid?: (reason: string) => void;
}

/**
 * One framework's sealed-cookie entry under test. `start` serves, through the real framework on
 * 127.0.0.1 with a Node server that accepts 64 KiB of headers:
 *
 * - `GET /me` → `{ sessionID: string | null, user: string | null, keys: string[] }` (sorted); `GET /blob` → `{ blob: string | null }`
 * - `POST /login` sets `user: 'alice'`; `POST /set/:key/:value`; `POST /fill/:bytes` sets `blob` to `noise(bytes)`
 * - `POST /logout` destroys the session; `POST /regenerate` moves it to a new id and sets `user: 'bob'`
 * - an error answers its `status` / `statusCode` (else 500) with `{ code }`, never a stack
 */
export interface CookieAdapterUnderTest {
  name: string;
  /** The session cookie's name (chunks are `name.1`, `name.2`, …). */
  cookie: string;
  start(
    options: CookieAppOptions,
  ): Promise<{ url: string; close(): Promise<void>; revokeUser(id: string): Promise<void> }>;
}

export const COOKIE_SECRET_A = 'a sealed-cookie suite secret of at least 32 characters';
export const COOKIE_SECRET_B = 'b sealed-cookie suite secret of at least 32 characters';

/** `bytes` base64url characters that deflate poorly (a seeded pseudo-random sequence). */
export function noise(bytes: number, seed = 1): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let state = seed >>> 0;
  let out = '';
  for (let i = 0; i < bytes; i++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    out += alphabet[(state >>> 16) & 63];
  }
  return out;
}

/** The suite's options as a framework's `session()` options: Express, Fastify and Hono name them alike. */
export function sessionOptionsFor(options: CookieAppOptions) {
  return {
    secret: options.secrets,
    ...(options.revocation ? { revocation: options.revocation } : {}),
    ...(options.failMode ? { failMode: options.failMode } : {}),
    logger: { warn: () => {} },
  };
}

/** Sealed with the suite's key (as the apps seal), so only what is inside makes it bad. */
const sealer = new CookieSealer({ secrets: [COOKIE_SECRET_A] });
const nowS = () => Date.now() / 1000;
/** Valid claims around `dataText` (JSON text of the session data). */
const sealedData = (dataText: string) =>
  sealer.sealText({ iat: nowS(), exp: nowS() + 3600, jti: 'suite-made-session' }, dataText);

const kidOf = (jwe: string) =>
  (JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
const isClearing = (line: string) => /;\s*max-age=0/i.test(line);
const namesOf = (lines: string[]) => lines.map((line) => line.slice(0, line.indexOf('=')));

/**
 * Registers the sealed-cookie scenarios with vitest: the same chunking, rotation, revocation and
 * bad-input behaviour on every framework's `session({ store: 'cookie://' })` (Express, Fastify,
 * Hono), through real HTTP.
 */
export function runCookieSuite(adapter: CookieAdapterUnderTest): void {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });
  const name = adapter.cookie;

  async function start(options: Partial<CookieAppOptions> = {}) {
    const invalid: string[] = [];
    const app = await adapter.start({
      store: 'cookie://',
      secrets: [COOKIE_SECRET_A],
      onInvalid: (reason) => invalid.push(reason),
      ...options,
    });
    closers.push(app.close);
    return { ...app, invalid, client: new Client(app.url) };
  }

  describe(`${adapter.name} on sealed cookies (cookie://)`, () => {
    it('round trip: the session travels in the cookie, a read sends nothing, logout clears it', async () => {
      const { client } = await start();
      expect(await client.json('/me')).toMatchObject({ user: null });
      expect(client.lastSetCookie).toEqual([]); // an empty new session is not sent
      await client.post('/login');
      expect([...client.cookies.keys()]).toEqual([name]);
      expect(client.cookies.get(name)!.split('.')).toHaveLength(5); // a JWE compact
      const me = await client.json('/me');
      expect(me).toMatchObject({ user: 'alice', keys: ['user'] });
      expect(me['sessionID']).toEqual(expect.any(String));
      expect(client.lastSetCookie).toEqual([]);
      await client.post('/set/cart/book');
      expect((await client.json('/me'))['keys']).toEqual(['cart', 'user']);
      await client.post('/logout');
      expect(client.lastSetCookie.filter(isClearing).length).toBe(1);
      expect(client.cookies.size).toBe(0);
      expect(await client.json('/me')).toMatchObject({ user: null, keys: [] });
    });

    it('regenerate gives a new session id', async () => {
      const { client } = await start();
      await client.post('/login');
      await client.post('/set/cart/book');
      const before = (await client.json('/me'))['sessionID'];
      await client.post('/regenerate');
      const after = await client.json('/me');
      expect(after).toMatchObject({ user: 'bob' });
      expect(after['sessionID']).not.toBe(before);
    });

    it('chunking: a session over 4 KB splits into name, name.1, name.2, each Set-Cookie line within 4096 bytes; shrinking clears the extra chunks', async () => {
      const { client } = await start();
      await client.post('/fill/7000');
      expect(namesOf(client.lastSetCookie)).toEqual([name, `${name}.1`, `${name}.2`]);
      for (const line of client.lastSetCookie) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(4096);
      expect(client.cookies.get(name)).toMatch(/^3~[\w-]{8}~/);
      expect((await client.json('/blob'))['blob']).toBe(noise(7000));
      await client.post('/fill/500');
      expect(namesOf(client.lastSetCookie.filter((line) => !isClearing(line)))).toEqual([name]);
      expect(namesOf(client.lastSetCookie.filter(isClearing)).sort()).toEqual([`${name}.1`, `${name}.2`]);
      expect([...client.cookies.keys()]).toEqual([name]);
      expect((await client.json('/blob'))['blob']).toBe(noise(500));
    });

    it('too large for maxChunks: SessionTooLargeError to the error handler (500), nothing written, the previous cookie still valid', async () => {
      const { client } = await start();
      await client.post('/login');
      const previous = client.cookies.get(name);
      const response = await client.request('/fill/20000', { method: 'POST' });
      expect(response.status).toBe(500);
      const body = await response.text();
      expect(JSON.parse(body)).toEqual({ code: 'ERR_SESSION_TOO_LARGE' });
      expect(body).not.toMatch(/\n\s+at /);
      expect(client.lastSetCookie).toEqual([]);
      expect(client.cookies.get(name)).toBe(previous);
      expect(await client.json('/me')).toMatchObject({ user: 'alice' });
    });

    it('cookie://?maxChunks=2 in the URL bounds the chunks', async () => {
      const { client } = await start({ store: 'cookie://?maxChunks=2' });
      await client.post('/fill/5000');
      expect(namesOf(client.lastSetCookie)).toEqual([name, `${name}.1`]);
      expect((await client.request('/fill/7000', { method: 'POST' })).status).toBe(500);
    });

    it('rotation: an older key opens and the response re-seals with the first; a key no longer listed opens as a fresh session', async () => {
      const before = await start({ secrets: [COOKIE_SECRET_A] });
      await before.client.post('/login');
      const sealedWithA = before.client.cookies.get(name)!;
      const during = await start({ secrets: [COOKIE_SECRET_B, COOKIE_SECRET_A] });
      during.client.cookies.set(name, sealedWithA);
      expect(await during.client.json('/me')).toMatchObject({ user: 'alice' });
      // A read-only request, yet re-sealed, with the first key.
      expect(namesOf(during.client.lastSetCookie)).toEqual([name]);
      const resealed = during.client.cookies.get(name)!;
      expect(kidOf(resealed)).not.toBe(kidOf(sealedWithA));
      await during.client.json('/me');
      expect(during.client.lastSetCookie).toEqual([]);
      expect(during.invalid).toEqual([]);

      const after = await start({ secrets: [COOKIE_SECRET_B] });
      after.client.cookies.set(name, resealed);
      expect(await after.client.json('/me')).toMatchObject({ user: 'alice' });
      after.client.cookies.set(name, sealedWithA);
      expect(await after.client.json('/me')).toMatchObject({ user: null });
      expect(after.invalid).toEqual(['kid-unknown']);
      expect(namesOf(after.client.lastSetCookie.filter(isClearing))).toEqual([name]);
    });

    it('revocation through a store: revokeUser ends every session of that user issued before; a new login opens', async () => {
      const store = new MemorySessionStore();
      const { client, revokeUser, invalid } = await start({
        revocation: { store, principal: (data) => (typeof data['user'] === 'string' ? data['user'] : undefined) },
      });
      await client.post('/login');
      const laptop = new Client(client.baseUrl);
      laptop.cookies.set(name, client.cookies.get(name)!);
      expect(await laptop.json('/me')).toMatchObject({ user: 'alice' });
      await revokeUser('alice');
      expect(await store.length()).toBe(1);
      for (const device of [client, laptop]) expect(await device.json('/me')).toMatchObject({ user: null });
      expect(invalid).toEqual(['revoked', 'revoked']);
      await client.post('/login');
      expect(await client.json('/me')).toMatchObject({ user: 'alice' });
      await store.close();
    });

    const badCookies: [string, (good: string) => string, string][] = [
      [
        'a tampered seal',
        (good) => {
          const parts = good.split('.');
          parts[3] = (parts[3]![0] === 'A' ? 'B' : 'A') + parts[3]!.slice(1);
          return parts.join('.');
        },
        'tampered',
      ],
      ['a truncated seal', (good) => good.slice(0, -10), 'malformed'],
      ['garbage', () => 'not-a-seal%00%ff', 'malformed'],
      ['a 20 KB session cookie', () => 'A'.repeat(20_000), 'too-large'],
      // Sealed with the app's own key: the seal opens, what is inside does not pass.
      ['a validly sealed session that does not decode (not an object)', () => sealedData('"mallory"'), 'payload'],
      [
        'a validly sealed session carrying __proto__',
        () => sealedData('{"__proto__":{"admin":true},"user":"mallory"}'),
        'forbidden-key',
      ],
      [
        'a validly sealed session past its exp',
        () =>
          sealer.seal({
            iat: nowS() - 7200,
            exp: nowS() - 1,
            auth_time: nowS() - 7200,
            jti: 'old',
            s: { user: 'mallory' },
          }),
        'expired',
      ],
    ];
    for (const [what, damage, reason] of badCookies) {
      it(`bad input: ${what} is a fresh session (one invalid event, the cookie cleared), never an error`, async () => {
        const { client, invalid } = await start();
        await client.post('/login');
        const bad = damage(client.cookies.get(name)!);
        const fresh = new Client(client.baseUrl);
        fresh.cookies.set(name, bad);
        const response = await fresh.request('/me');
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ user: null, keys: [] });
        expect(invalid).toEqual([reason]);
        expect(namesOf(fresh.lastSetCookie.filter(isClearing))).toEqual([name]);
        await fresh.post('/login');
        expect(await fresh.json('/me')).toMatchObject({ user: 'alice' });
      });
    }

    it('bad input: a 20 KB cookie header of other cookies is served, the session cookie beside it opens', async () => {
      const { client, invalid } = await start();
      await client.post('/login');
      const junk = Array.from({ length: 400 }, (_, i) => `junk${i}=${'j'.repeat(40)}`).join('; ');
      const response = await client.request('/me', {
        headers: { cookie: `${junk}; ${name}=${client.cookies.get(name)}` },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ user: 'alice' });
      expect(invalid).toEqual([]);
    });
  });

  describe(`${adapter.name} on sealed cookies with the revocation store down (a real session server in a child process)`, () => {
    const server = sessionServerForTests();

    async function loggedIn(failMode: FailMode) {
      const store = new HttpSessionStore(server.url, { operationTimeoutMs: 1500 });
      await eventually(async () => (await store.length()) >= 0, 15_000);
      const app = await start({
        failMode,
        revocation: { store, principal: (data) => (typeof data['user'] === 'string' ? data['user'] : undefined) },
      });
      await app.client.post('/login');
      expect(await app.client.json('/me')).toMatchObject({ user: 'alice' });
      return app;
    }

    it("failMode 'closed': 503 without a stack while the store cannot be read; a visitor without a user is served", async () => {
      const { client, url } = await loggedIn('closed');
      server.pause();
      const response = await client.request('/me');
      expect(response.status).toBe(503);
      expect(await response.text()).not.toMatch(/\n\s+at /);
      expect((await new Client(url).request('/me')).status).toBe(200);
      server.resume();
      expect(await eventually(async () => (await client.request('/me')).status === 200, 15_000)).toBe(true);
    });

    it("failMode 'open': the cookie is accepted unchecked while the store cannot be read", async () => {
      const { client } = await loggedIn('open');
      server.pause();
      expect(await client.json('/me')).toMatchObject({ user: 'alice' });
    });
  });
}
