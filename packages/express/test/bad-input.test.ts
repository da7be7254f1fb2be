import { createHmac } from 'node:crypto';
import { decodeSession, type SessionData, StoreConfigError } from '@sessionkit/core';
import { MemorySessionStore } from '@sessionkit/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, CountingStore, listen } from '@sessionkit/adapter-suite';
import { ExpressSessionStore } from '../src/index.js';
import { COOKIE, SECRET, sessionApp } from './support/app.js';

/** A memory store whose backend can be handed raw stored bytes, as a damaged Redis value or SQL row would be. */
class CorruptibleStore extends MemorySessionStore {
  readonly raw = new Map<string, string>();
  protected override async read(sid: string): Promise<SessionData | null> {
    const text = this.raw.get(sid);
    return text === undefined ? super.read(sid) : decodeSession(sid, text);
  }
}

/** A cookie value express-session accepts: `s:<sid>.<HMAC-SHA256 signature>`, as cookie-signature makes it. */
function signedCookie(sid: string): string {
  const signature = createHmac('sha256', SECRET).update(sid).digest('base64').replace(/=+$/, '');
  return encodeURIComponent(`s:${sid}.${signature}`);
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function setup() {
  const backend = new CorruptibleStore();
  const counting = new CountingStore(backend);
  const warnings: string[] = [];
  const adapter = new ExpressSessionStore(counting, { logger: { warn: (message) => warnings.push(message) } });
  const server = await listen(sessionApp(adapter));
  closers.push(server.close);
  return { backend, counting, warnings, url: server.url };
}

describe('bad input at the adapter', () => {
  it.each([
    ['garbage', 'not-a-session-cookie'],
    ['a tampered signature', signedCookie('abcdefghijklmnopqrstuvwxyz123456').replace(/.{4}$/, 'AAAA')],
    ['an unsigned sid', 'abcdefghijklmnopqrstuvwxyz123456'],
  ])('a cookie with %s never reaches the store and the request gets a fresh session', async (_, value) => {
    const { counting, url } = await setup();
    const client = new Client(url);
    client.cookies.set(COOKIE, value);
    expect(await client.json('/me')).toMatchObject({ hasSession: true, user: null });
    expect(counting.calls).toEqual([]);
    await client.post('/login');
    expect(client.cookies.get(COOKIE)).not.toBe(value);
    expect(await client.json('/me')).toMatchObject({ user: 'alice' });
  });

  it('control: the signing used below is what express-session accepts (a signed valid sid loads its session)', async () => {
    const { backend, url } = await setup();
    const sid = 'validsessionid0123456789abcdefgh';
    await backend.set(sid, { cookie: { originalMaxAge: null, expires: null }, user: 'alice' }, { ttlMs: 60_000 });
    const client = new Client(url);
    client.cookies.set(COOKIE, signedCookie(sid));
    expect(await client.json('/me')).toMatchObject({ sessionID: sid, user: 'alice' });
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(257)],
    ['a NUL', 'abcdefgh\u0000ijkl'],
    ['a newline', 'abcdefgh\nSet-Cookie: x=1'],
  ])(
    'a validly signed sid that is %s is treated as no session (InvalidSessionIdError never escapes)',
    async (_, sid) => {
      const { counting, url } = await setup();
      const client = new Client(url);
      client.cookies.set(COOKIE, signedCookie(sid));
      const response = await client.request('/me');
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ hasSession: true, user: null });
      expect(counting.calls).toEqual([]);
    },
  );

  it('stored bytes that do not decode are treated as absent and logged once per sid', async () => {
    const { backend, warnings, url } = await setup();
    const sid = 'corruptedsessionid0123456789abcd';
    backend.raw.set(sid, '{"cookie": {"originalMaxAge": nul');
    const client = new Client(url);
    client.cookies.set(COOKIE, signedCookie(sid));
    expect(await client.json('/me')).toMatchObject({ hasSession: true, user: null });
    client.cookies.set(COOKIE, signedCookie(sid));
    expect(await client.json('/me')).toMatchObject({ user: null });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(sid);
  });

  it('a stored session without a cookie object (not written through express-session) is treated as absent', async () => {
    const { backend, warnings, url } = await setup();
    const sid = 'foreignsessionid0123456789abcdef';
    await backend.set(sid, { user: 'mallory' }, { ttlMs: 60_000 });
    const client = new Client(url);
    client.cookies.set(COOKIE, signedCookie(sid));
    expect(await client.json('/me')).toMatchObject({ hasSession: true, user: null });
    expect(warnings).toHaveLength(1);
  });

  it('data that cannot be stored is refused with SessionEncodeError and nothing is written', async () => {
    const backend = new MemorySessionStore();
    const adapter = new ExpressSessionStore(backend);
    const sess = { cookie: { originalMaxAge: null, expires: null }, big: 10n };
    await expect(adapter.set('encodeerrorsid0123456789', sess)).rejects.toMatchObject({ code: 'ERR_SESSION_ENCODE' });
    const viaCallback = await new Promise((resolve) => adapter.set('encodeerrorsid0123456789', sess, resolve));
    expect(viaCallback).toMatchObject({ code: 'ERR_SESSION_ENCODE' });
    expect(await backend.length()).toBe(0);
  });

  it('invalid options are refused with StoreConfigError', () => {
    const store = new MemorySessionStore();
    expect(() => new ExpressSessionStore(store, { failMode: 'sometimes' as 'open' })).toThrow(StoreConfigError);
    expect(() => new ExpressSessionStore(store, { touchAfterMs: -1 })).toThrow(StoreConfigError);
    expect(() => new ExpressSessionStore(store, { defaultTtlMs: Number.NaN })).toThrow(StoreConfigError);
    expect(() => new ExpressSessionStore(store, { probeIntervalMs: 0 })).toThrow(/probeIntervalMs/);
  });
});
