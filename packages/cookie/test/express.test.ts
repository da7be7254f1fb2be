import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CookieSealer } from '../src/index.js';
import { cookieApp } from './support/app.js';
import { Client, listen, SECRET_A } from './support/http.js';

describe('cookieSession: express-session surface over real HTTP', () => {
  let server: Awaited<ReturnType<typeof listen>>;
  let fixture: ReturnType<typeof cookieApp>;
  beforeAll(async () => {
    fixture = cookieApp({ secrets: [SECRET_A], name: 'sid', cookie: { maxAge: 60_000 } });
    server = await listen(fixture.app);
  });
  afterAll(() => server.close());

  it('sends no cookie for a new session that holds nothing, seals one once something is stored', async () => {
    const client = new Client(server.url);
    await client.json('/me');
    expect(client.lastSetCookie).toEqual([]);
    await client.post('/set/user', { value: 'ann' });
    expect(client.setNames()).toEqual(['sid']);
    // The value is a JWE compact serialization: five base64url segments, the second empty (dir).
    expect(client.cookies.get('sid')).toMatch(/^[\w-]+\.\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
    const header = JSON.parse(Buffer.from(client.cookies.get('sid')!.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'dir', enc: 'A256GCM', kid: expect.any(String) });
    // Nothing readable: the session data is encrypted.
    expect(Buffer.from(client.cookies.get('sid')!.split('.')[3]!, 'base64url').toString('latin1')).not.toContain('ann');
    const attributes = client.lastSetCookie[0]!.attributes;
    expect([...attributes.keys()]).toEqual(['path', 'expires', 'httponly', 'samesite']);
    expect(Date.parse(attributes.get('expires')!) - Date.now()).toBeGreaterThan(50_000);
    expect((await client.json('/me')).data).toEqual({ user: 'ann' });
  });

  it('answers a read-only request without Set-Cookie', async () => {
    const client = new Client(server.url);
    await client.post('/set/user', { value: 'bea' });
    const sealed = client.cookies.get('sid');
    for (let i = 0; i < 3; i++) {
      expect((await client.json('/me')).data).toEqual({ user: 'bea' });
      expect(client.lastSetCookie).toEqual([]);
    }
    expect(client.cookies.get('sid')).toBe(sealed);
  });

  it('regenerate gives a new id and empty data; the new cookie replaces the old', async () => {
    const client = new Client(server.url);
    await client.post('/set/cart', { value: ['tea'] });
    const { id: before } = await client.json('/me');
    const result = await client.post('/regenerate', { user: 'cy' });
    expect(result['before']).toBe(before);
    expect(result['after']).not.toBe(before);
    const me = await client.json('/me');
    expect(me['id']).toBe(result['after']);
    expect(me['data']).toEqual({ user: 'cy' });
  });

  it('regenerate that leaves the new session empty clears the old cookie', async () => {
    const client = new Client(server.url);
    await client.post('/set/user', { value: 'dee' });
    const old = client.cookieHeader;
    await client.post('/regenerate');
    expect(client.clearedNames()).toEqual(['sid']);
    expect(client.cookies.has('sid')).toBe(false);
    expect(old).toContain('sid=');
  });

  it('destroy removes req.session and clears the cookie', async () => {
    const client = new Client(server.url);
    await client.post('/set/user', { value: 'eve' });
    expect(await client.post('/logout')).toEqual({ ok: true, hasSession: false });
    expect(client.clearedNames()).toEqual(['sid']);
    expect(client.lastSetCookie[0]!.attributes.get('max-age')).toBe('0');
    expect((await client.json('/me')).data).toEqual({});
  });

  it('save seals the state that reload returns to; the response sends the current state', async () => {
    const client = new Client(server.url);
    await client.post('/set/user', { value: 'fay' });
    expect(await client.post('/save-then-change')).toEqual({ keys: ['saved', 'user'] });
    expect((await client.json('/me')).data).toEqual({ saved: 'yes', user: 'fay' });
  });

  it('save reports a session too large for its cookies to its callback', async () => {
    const client = new Client(server.url);
    expect(await client.post('/save-big/20000')).toEqual({ code: 'ERR_SESSION_TOO_LARGE' });
  });

  it('a changed cookie.maxAge travels inside the seal and holds on later writes', async () => {
    const client = new Client(server.url);
    await client.post('/set/user', { value: 'gus' });
    await client.post('/remember', { ms: 30 * 86_400_000 });
    const expires = Date.parse(client.lastSetCookie[0]!.attributes.get('expires')!);
    expect(expires - Date.now()).toBeGreaterThan(29 * 86_400_000);
    await client.post('/set/cart', { value: ['mug'] });
    expect(Date.parse(client.lastSetCookie[0]!.attributes.get('expires')!) - Date.now()).toBeGreaterThan(
      29 * 86_400_000,
    );
    expect((await client.json('/me'))['maxAge']).toBe(30 * 86_400_000);
  });

  it('touch re-seals with a fresh expiry', async () => {
    const client = new Client(server.url);
    await client.post('/set/user', { value: 'hal' });
    const first = client.cookies.get('sid');
    await client.post('/touch');
    expect(client.setNames()).toEqual(['sid']);
    expect(client.cookies.get('sid')).not.toBe(first);
  });

  it('seals before a streamed response starts', async () => {
    const client = new Client(server.url);
    const response = await client.request('/stream', { method: 'POST' });
    expect(await response.text()).toBe('ab');
    expect(client.setNames()).toEqual(['sid']);
    expect((await client.json('/me')).data).toEqual({ streamed: true });
  });
});

describe('cookieSession: rolling and touchAfterMs', () => {
  it('re-seals a read-only request only once the seal is older than touchAfterMs', async () => {
    const fixture = cookieApp({ secrets: [SECRET_A], name: 'sid', rolling: true, touchAfterMs: 60_000 });
    const server = await listen(fixture.app);
    try {
      const client = new Client(server.url);
      await client.post('/set/user', { value: 'ida' });
      await client.json('/me');
      expect(client.lastSetCookie).toEqual([]);
      // A seal made (by this app's sealer) 61 s ago: the next read re-seals it with a fresh iat and exp.
      const old = sealAged(fixture.sessions.sealer, { user: 'ida' }, 61_000);
      await client.json('/me', { cookie: `sid=${old}` });
      expect(client.setNames()).toEqual(['sid']);
      const reopened = fixture.sessions.sealer.open(client.cookies.get('sid')!);
      if ('rejected' in reopened) throw new Error(reopened.rejected);
      expect(Date.now() / 1000 - reopened.claims.iat).toBeLessThan(30);
      expect(reopened.claims.s).toEqual({ user: 'ida' });
    } finally {
      await server.close();
    }
  });

  it('a non-rolling session is not re-sealed by reads however old', async () => {
    const fixture = cookieApp({ secrets: [SECRET_A], name: 'sid' });
    const server = await listen(fixture.app);
    try {
      const client = new Client(server.url);
      await client.json('/me', { cookie: `sid=${sealAged(fixture.sessions.sealer, { user: 'jo' }, 3_600_000)}` });
      expect(client.lastSetCookie).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

/** A seal whose iat lies `ageMs` in the past, still valid for a day. */
function sealAged(sealer: CookieSealer, data: Record<string, unknown>, ageMs: number): string {
  const now = Date.now();
  return sealer.seal({
    iat: (now - ageMs) / 1000,
    exp: (now + 86_400_000) / 1000,
    auth_time: (now - ageMs) / 1000,
    jti: 'aged-session-id',
    s: data,
  });
}
