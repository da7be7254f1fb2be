import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieApp } from './support/app.js';
import { Client, listen, SECRET_A, SECRET_B } from './support/http.js';

const A = { id: 'key-a', secret: SECRET_A };
const B = { id: 'key-b', secret: SECRET_B };
const kidOf = (jwe: string) =>
  (JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

describe('key rotation', () => {
  const servers: Awaited<ReturnType<typeof listen>>[] = [];
  let before: ReturnType<typeof cookieApp>;
  let during: ReturnType<typeof cookieApp>;
  let after: ReturnType<typeof cookieApp>;
  let urls: { before: string; during: string; after: string };
  beforeAll(async () => {
    before = cookieApp({ secrets: [A], name: 'sid' });
    during = cookieApp({ secrets: [B, A], name: 'sid' });
    after = cookieApp({ secrets: [B], name: 'sid' });
    for (const fixture of [before, during, after]) servers.push(await listen(fixture.app));
    urls = { before: servers[0]!.url, during: servers[1]!.url, after: servers[2]!.url };
  });
  afterAll(() => Promise.all(servers.map((server) => server.close())));

  it('opens a cookie sealed with an older key and re-seals it with the first key on that response', async () => {
    const client = new Client(urls.before);
    await client.post('/set/user', { value: 'ann' });
    expect(kidOf(client.cookies.get('sid')!)).toBe('key-a');

    const rotating = new Client(urls.during);
    rotating.cookies.set('sid', client.cookies.get('sid')!);
    expect((await rotating.json('/me')).data).toEqual({ user: 'ann' });
    // A read-only request, yet the cookie is re-sealed: with the current key.
    expect(rotating.setNames()).toEqual(['sid']);
    expect(kidOf(rotating.cookies.get('sid')!)).toBe('key-b');
    // Already current: the next read sends nothing.
    await rotating.json('/me');
    expect(rotating.lastSetCookie).toEqual([]);
    expect(during.invalid).toEqual([]);
  });

  it('opens a cookie sealed with a key no longer listed as an empty session, reported once', async () => {
    const client = new Client(urls.before);
    await client.post('/set/user', { value: 'bob' });
    const retired = new Client(urls.after);
    retired.cookies.set('sid', client.cookies.get('sid')!);
    const me = await retired.json('/me');
    expect(me['data']).toEqual({});
    expect(after.invalid).toEqual([{ reason: 'kid-unknown', name: 'sid' }]);
    // The dead cookie is cleared, so it is not reported again.
    expect(retired.clearedNames()).toEqual(['sid']);
    await retired.json('/me');
    expect(after.invalid).toHaveLength(1);
  });
});
