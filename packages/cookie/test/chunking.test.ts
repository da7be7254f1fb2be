import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieSealer } from '../src/index.js';
import { cookieApp, noise } from './support/app.js';
import { Client, isClearing, listen, SECRET_A } from './support/http.js';

// Long attributes on purpose: every Set-Cookie line, attributes included, must stay within 4096 bytes.
const cookie = {
  maxAge: 3_600_000,
  domain: 'shop.example.test',
  sameSite: 'strict',
  secure: true,
  partitioned: true,
  priority: 'high',
} as const;

describe('chunking under the 4096-byte Set-Cookie limit', () => {
  let server: Awaited<ReturnType<typeof listen>>;
  let fixture: ReturnType<typeof cookieApp>;
  beforeAll(async () => {
    fixture = cookieApp({ secrets: [SECRET_A], name: 'sid', cookie });
    server = await listen(fixture.app);
  });
  afterAll(() => server.close());

  it('keeps a small session in one cookie', async () => {
    const client = new Client(server.url);
    await client.post('/fill/1000');
    expect(client.setNames()).toEqual(['sid']);
    expect(Buffer.byteLength(client.lastSetCookie[0]!.line)).toBeLessThanOrEqual(4096);
  });

  it('splits a larger session into sid, sid.1, sid.2, each line within 4096 bytes, the first stating the count', async () => {
    const client = new Client(server.url);
    await client.post('/fill/7000');
    expect(client.setNames()).toEqual(['sid', 'sid.1', 'sid.2']);
    for (const set of client.lastSetCookie) {
      expect(Buffer.byteLength(set.line)).toBeLessThanOrEqual(4096);
      expect(set.attributes.get('domain')).toBe('shop.example.test');
    }
    expect(client.cookies.get('sid')).toMatch(/^3~[\w-]{8}~/);
    expect(client.cookies.get('sid.1')).toMatch(/^[\w-]{8}~/);
    const blob = ((await client.json('/me'))['data'] as { blob: string }).blob;
    expect(blob).toBe(noise(7000));
  });

  it('clears chunks no longer needed (Max-Age=0) when the session shrinks', async () => {
    const client = new Client(server.url);
    await client.post('/fill/7000');
    expect(client.cookies.size).toBe(3);
    await client.post('/fill/500');
    expect(client.setNames()).toEqual(['sid']);
    expect(client.clearedNames().sort()).toEqual(['sid.1', 'sid.2']);
    for (const set of client.lastSetCookie.filter(isClearing)) expect(set.attributes.get('max-age')).toBe('0');
    expect([...client.cookies.keys()]).toEqual(['sid']);
    expect(((await client.json('/me'))['data'] as { blob: string }).blob).toBe(noise(500));
  });

  it('too large for maxChunks: SessionTooLargeError to next(err) with sealed size and limit, nothing written, the previous cookie still valid', async () => {
    const client = new Client(server.url);
    await client.post('/set/user', { value: 'ann' });
    const previous = client.cookies.get('sid');
    const response = await client.request('/fill/20000', { method: 'POST' });
    expect(response.status).toBe(500);
    const body = (await response.json()) as { code: string; message: string };
    expect(body.code).toBe('ERR_SESSION_TOO_LARGE');
    expect(body.message).toMatch(
      /^Sealed session is \d{5} bytes, over the \d{5} bytes that 3 cookies can carry \(maxChunks 3; 4096 bytes per Set-Cookie line/,
    );
    expect(body.message).toMatch(/nothing was written and the previous cookie stays valid/);
    expect(client.lastSetCookie).toEqual([]);
    expect(client.cookies.get('sid')).toBe(previous);
    expect((await client.json('/me'))['data']).toEqual({ user: 'ann' });
  });

  it('maxChunks bounds the cookies one session may take', async () => {
    const two = cookieApp({ secrets: [SECRET_A], name: 'sid', maxChunks: 2 });
    const small = await listen(two.app);
    try {
      const client = new Client(small.url);
      await client.post('/fill/5000');
      expect(client.setNames()).toEqual(['sid', 'sid.1']);
      const response = await client.request('/fill/7000', { method: 'POST' });
      expect(response.status).toBe(500);
      expect(((await response.json()) as { message: string }).message).toMatch(
        /that 2 cookies can carry \(maxChunks 2;/,
      );
    } finally {
      await small.close();
    }
  });
});

describe('compress', () => {
  it('deflates when that makes the seal smaller, and only then', async () => {
    const plain = cookieApp({ secrets: [SECRET_A], name: 'sid' });
    const packed = cookieApp({ secrets: [SECRET_A], name: 'sid', compress: true });
    const servers = [await listen(plain.app), await listen(packed.app)];
    try {
      const cart = Object.fromEntries(
        Array.from({ length: 40 }, (_, i) => [`product-${i}`, { qty: 1 + (i % 3), addedAt: 1_700_000_000_000 + i }]),
      );
      const sizes: number[] = [];
      const headers: unknown[] = [];
      for (const server of servers) {
        const client = new Client(server.url);
        await client.post('/set/cart', { value: cart });
        sizes.push(client.cookies.get('sid')!.length);
        headers.push(JSON.parse(Buffer.from(client.cookies.get('sid')!.split('.')[0]!, 'base64url').toString()));
        expect(((await client.json('/me'))['data'] as { cart: unknown }).cart).toEqual(cart);
      }
      expect(sizes[1]).toBeLessThan(sizes[0]! / 2);
      expect(headers[1]).toMatchObject({ zip: 'DEF' });
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
  });

  it('never makes a seal longer: the same claims, with and without compress', () => {
    const plain = new CookieSealer({ secrets: [SECRET_A] });
    const packed = new CookieSealer({ secrets: [SECRET_A], compress: true });
    const now = Date.now() / 1000;
    for (const s of [{}, { u: 1 }, { blob: noise(50) }, { blob: noise(800) }, { cart: ['tea', 'tea', 'tea', 'tea'] }]) {
      const claims = { iat: now, exp: now + 60, auth_time: now, jti: 'same-session-id', s };
      expect(packed.seal(claims).length, JSON.stringify(s).slice(0, 40)).toBeLessThanOrEqual(plain.seal(claims).length);
    }
  });
});
