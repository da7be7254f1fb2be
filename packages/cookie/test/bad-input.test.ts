import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cookieApp } from './support/app.js';
import { Client, listen, SECRET_A } from './support/http.js';
import { claimsText, derived, joseSeal } from './support/jwe.js';
import type { InvalidReason } from '../src/index.js';

// Every kind of bad cookie gets a fresh, empty session (never a 500) and exactly one `invalid`
// event naming the reason, never the cookie's content. All through real HTTP.
const secret = { id: 'k1', secret: SECRET_A };
const { key } = derived(secret);

describe('bad session cookies', () => {
  let server: Awaited<ReturnType<typeof listen>>;
  let fixture: ReturnType<typeof cookieApp>;
  let good: string;
  let chunked: Map<string, string>;
  let otherChunked: Map<string, string>;
  let three: Map<string, string>;
  beforeAll(async () => {
    fixture = cookieApp({ secrets: [secret], name: 'sid' });
    // Room for a 20 KB Cookie header (Node's default is 16 KB in all, answered with 431).
    server = await listen(fixture.app, 64 * 1024);
    const client = new Client(server.url);
    await client.post('/set/user', { value: 'ann' });
    good = client.cookies.get('sid')!;
    await client.post('/fill/4000');
    chunked = new Map(client.cookies);
    const other = new Client(server.url);
    await other.post('/fill/4000');
    otherChunked = new Map(other.cookies);
    await other.post('/fill/7000');
    three = new Map(other.cookies);
    expect(three.size).toBe(3);
    expect(chunked.size).toBe(2);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    fixture.invalid.length = 0;
  });

  /** Sends `cookie` as the whole Cookie header; expects a fresh session and one `invalid` event with `reason`. */
  async function expectFresh(cookie: string, reason: InvalidReason): Promise<Client> {
    const client = new Client(server.url);
    const response = await client.request('/me', { cookie });
    expect(response.status).toBe(200);
    const me = (await response.json()) as { data: unknown; keys: string[] };
    expect(me.data).toEqual({});
    expect(fixture.invalid).toEqual([{ reason, name: 'sid' }]);
    expect(JSON.stringify(fixture.invalid)).not.toContain(cookie.slice(4, 40));
    return client;
  }

  const segments = (jwe: string) => jwe.split('.');
  const join = (parts: string[]) => parts.join('.');
  const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);

  it('the good cookie opens (control)', async () => {
    const client = new Client(server.url);
    expect((await client.json('/me', { cookie: `sid=${good}` }))['data']).toEqual({ user: 'ann' });
    expect(fixture.invalid).toEqual([]);
  });

  it('tampered ciphertext, tag, iv or header', async () => {
    const parts = segments(good);
    await expectFresh(`sid=${join([parts[0]!, '', parts[2]!, flip(parts[3]!, 3), parts[4]!])}`, 'tampered');
    fixture.invalid.length = 0;
    await expectFresh(`sid=${join([parts[0]!, '', parts[2]!, parts[3]!, flip(parts[4]!, 5)])}`, 'tampered');
    fixture.invalid.length = 0;
    await expectFresh(`sid=${join([parts[0]!, '', flip(parts[2]!, 0), parts[3]!, parts[4]!])}`, 'tampered');
    fixture.invalid.length = 0;
    // The header is authenticated too: the same header re-encoded with a space is another AAD.
    const header = Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM', kid: 'k1' }).replace(',', ', ')).toString(
      'base64url',
    );
    await expectFresh(`sid=${join([header, '', parts[2]!, parts[3]!, parts[4]!])}`, 'tampered');
  });

  it('truncated', async () => {
    await expectFresh(`sid=${good.slice(0, -10)}`, 'malformed');
    fixture.invalid.length = 0;
    await expectFresh(`sid=${good.slice(0, good.lastIndexOf('.'))}`, 'malformed');
  });

  it('not base64url', async () => {
    const parts = segments(good);
    await expectFresh(
      `sid=${join([parts[0]!, '', parts[2]!, `${parts[3]!.slice(0, 10)}%2B/=${parts[3]!.slice(10)}`, parts[4]!])}`,
      'malformed',
    );
  });

  it('a header that is not JWE: a JWS, plain text, a JSON array', async () => {
    await expectFresh('sid=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmF0dXJl', 'malformed');
    fixture.invalid.length = 0;
    const parts = segments(good);
    await expectFresh(
      `sid=${join([Buffer.from('hello').toString('base64url'), '', parts[2]!, parts[3]!, parts[4]!])}`,
      'header',
    );
    fixture.invalid.length = 0;
    await expectFresh(
      `sid=${join([Buffer.from('[1,2]').toString('base64url'), '', parts[2]!, parts[3]!, parts[4]!])}`,
      'header',
    );
  });

  it('a missing kid', async () => {
    await expectFresh(
      `sid=${await joseSeal(claimsText('{"user":"mallory"}'), { alg: 'dir', enc: 'A256GCM' }, key)}`,
      'kid-missing',
    );
  });

  it('an unknown kid', async () => {
    await expectFresh(
      `sid=${await joseSeal(claimsText('{"user":"mallory"}'), { alg: 'dir', enc: 'A256GCM', kid: 'k2' }, key)}`,
      'kid-unknown',
    );
  });

  it('alg none, or another alg or enc than dir + A256GCM', async () => {
    const parts = segments(good);
    const none = Buffer.from(JSON.stringify({ alg: 'none', enc: 'A256GCM', kid: 'k1' })).toString('base64url');
    await expectFresh(`sid=${join([none, '', parts[2]!, parts[3]!, parts[4]!])}`, 'alg');
    fixture.invalid.length = 0;
    await expectFresh(
      `sid=${await joseSeal(claimsText('{"user":"mallory"}'), { alg: 'dir', enc: 'A128GCM', kid: 'k1' }, key.slice(0, 16))}`,
      'alg',
    );
    fixture.invalid.length = 0;
    await expectFresh(
      `sid=${await joseSeal(claimsText('{"user":"mallory"}'), { alg: 'A256KW', enc: 'A256GCM', kid: 'k1' }, key)}`,
      'alg',
    );
  });

  it('a missing chunk', async () => {
    await expectFresh(`sid=${chunked.get('sid')}`, 'chunk-missing');
  });

  it('a chunk from another seal', async () => {
    await expectFresh(`sid=${chunked.get('sid')}; sid.1=${otherChunked.get('sid.1')}`, 'chunk-mismatch');
  });

  it('chunk counts that lie', async () => {
    const first = chunked.get('sid')!;
    await expectFresh(`sid=${first.replace(/^2~/, '3~')}; sid.1=${chunked.get('sid.1')}`, 'chunk-missing');
    fixture.invalid.length = 0;
    await expectFresh(`sid=${first.replace(/^2~/, '9~')}; sid.1=${chunked.get('sid.1')}`, 'chunk-count');
    fixture.invalid.length = 0;
    await expectFresh(`sid=${first.replace(/^2~/, '1~')}; sid.1=${chunked.get('sid.1')}`, 'chunk-count');
    fixture.invalid.length = 0;
    // Three chunks, the first claiming two: the reassembled seal ends in another tag than it names.
    await expectFresh(
      `sid=${three.get('sid')!.replace(/^3~/, '2~')}; sid.1=${three.get('sid.1')}; sid.2=${three.get('sid.2')}`,
      'chunk-mismatch',
    );
  });

  it('an expired exp inside the seal, whatever the browser was told', async () => {
    const now = Date.now() / 1000;
    const expired = fixture.sessions.sealer.seal({
      iat: now - 7200,
      exp: now - 1,
      auth_time: now - 7200,
      jti: 'old',
      s: { user: 'ann' },
    });
    await expectFresh(`sid=${expired}`, 'expired');
  });

  it('a 20 KB Cookie header', async () => {
    await expectFresh(`sid=${'A'.repeat(20 * 1024)}`, 'too-large');
    fixture.invalid.length = 0;
    await expectFresh(
      `sid=${chunked.get('sid')}; sid.1=${'A'.repeat(10 * 1024)}; sid.2=${'B'.repeat(10 * 1024)}`,
      'too-large',
    );
    fixture.invalid.length = 0;
    // 20 KB of other cookies: not ours to judge; the session cookie beside them opens.
    const client = new Client(server.url);
    expect((await client.json('/me', { cookie: `tracker=${'x'.repeat(20 * 1024)}; sid=${good}` }))['data']).toEqual({
      user: 'ann',
    });
    expect(fixture.invalid).toEqual([]);
  });

  it('with Node’s default header limit, a 20 KB Cookie header never reaches the app (431)', async () => {
    const plain = await listen(fixture.app);
    try {
      const response = await fetch(`${plain.url}/me`, { headers: { cookie: `sid=${'A'.repeat(20 * 1024)}` } });
      expect(response.status).toBe(431);
    } finally {
      await plain.close();
    }
  });

  it('a payload whose JSON carries __proto__, at any depth: refused, no prototype polluted', async () => {
    await expectFresh(
      `sid=${await joseSeal(claimsText('{"__proto__":{"admin":true},"user":"mallory"}'), { alg: 'dir', enc: 'A256GCM', kid: 'k1' }, key)}`,
      'forbidden-key',
    );
    fixture.invalid.length = 0;
    await expectFresh(
      `sid=${await joseSeal(claimsText('{"cart":{"constructor":{"prototype":{"admin":true}}}}'), { alg: 'dir', enc: 'A256GCM', kid: 'k1' }, key)}`,
      'forbidden-key',
    );
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
  });

  it('a payload that is not the expected claims', async () => {
    await expectFresh(
      `sid=${await joseSeal('{"user":"mallory"}', { alg: 'dir', enc: 'A256GCM', kid: 'k1' }, key)}`,
      'payload',
    );
    fixture.invalid.length = 0;
    await expectFresh(`sid=${await joseSeal('not json', { alg: 'dir', enc: 'A256GCM', kid: 'k1' }, key)}`, 'payload');
  });

  it('clears the refused cookie, so the next request is not reported again', async () => {
    const client = await expectFresh(`sid=${good.slice(0, -10)}`, 'malformed');
    expect(client.clearedNames()).toEqual(['sid']);
  });
});
