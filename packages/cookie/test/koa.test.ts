import Koa from 'koa';
import session from 'koa-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealedCodec, type InvalidCookieEvent } from '../src/index.js';
import { noise } from './support/app.js';
import { Client, listen, SECRET_A, SECRET_B } from './support/http.js';

function koaApp(secrets: string[]) {
  const app = new Koa();
  const codec = sealedCodec({ secrets });
  const invalid: InvalidCookieEvent[] = [];
  codec.on('invalid', (event) => invalid.push(event));
  app.use(
    session({ key: 'koa.sess', maxAge: 3_600_000, signed: false, encode: codec.encode, decode: codec.decode }, app),
  );
  app.use(async (ctx) => {
    const sess = ctx.session!;
    if (ctx.path === '/set') sess['user'] = ctx.query['user'];
    if (ctx.path === '/fill') sess['blob'] = noise(Number(ctx.query['bytes']));
    ctx.body = { user: sess['user'] ?? null, isNew: sess.isNew ?? false };
  });
  app.silent = true;
  return { app, invalid };
}

describe('koa-session with sealedCodec', () => {
  let server: Awaited<ReturnType<typeof listen>>;
  let fixture: ReturnType<typeof koaApp>;
  beforeAll(async () => {
    fixture = koaApp([SECRET_A]);
    server = await listen(fixture.app.callback());
  });
  afterAll(() => server.close());

  it('keeps the session in a JWE instead of readable base64 JSON', async () => {
    const client = new Client(server.url);
    await client.json('/set?user=ann');
    const value = client.cookies.get('koa.sess')!;
    expect(value.split('.')).toHaveLength(5);
    expect(JSON.parse(Buffer.from(value.split('.')[0]!, 'base64url').toString())).toMatchObject({
      alg: 'dir',
      enc: 'A256GCM',
    });
    for (const encoding of ['base64', 'base64url'] as const)
      expect(Buffer.from(value, encoding).toString('latin1')).not.toContain('ann');
    expect(await client.json('/')).toEqual({ user: 'ann', isNew: false });
  });

  it('a cookie that does not open gives a new session and one invalid event', async () => {
    const client = new Client(server.url);
    await client.json('/set?user=bob');
    const value = client.cookies.get('koa.sess')!;
    fixture.invalid.length = 0;
    const tampered = `${value.slice(0, -4)}AAAA`;
    expect(await new Client(server.url).json('/', { cookie: `koa.sess=${tampered}` })).toEqual({
      user: null,
      isNew: true,
    });
    // koa-session's own readable format is refused too.
    const plain = Buffer.from(
      JSON.stringify({ user: 'mallory', _expire: Date.now() + 60_000, _maxAge: 60_000 }),
    ).toString('base64');
    expect(await new Client(server.url).json('/', { cookie: `koa.sess=${plain}` })).toEqual({
      user: null,
      isNew: true,
    });
    expect(fixture.invalid.map((event) => event.reason)).toEqual(['tampered', 'malformed']);
  });

  it('opens cookies sealed with an older secret', async () => {
    const client = new Client(server.url);
    await client.json('/set?user=cy');
    const rotated = koaApp([SECRET_B, SECRET_A]);
    const next = await listen(rotated.app.callback());
    try {
      expect(await new Client(next.url).json('/', { cookie: client.cookieHeader })).toEqual({
        user: 'cy',
        isNew: false,
      });
    } finally {
      await next.close();
    }
  });

  it('above one cookie: SessionTooLargeError on Koa’s error path, no cookie written, the previous one still valid', async () => {
    const client = new Client(server.url);
    await client.json('/set?user=dee');
    const previous = client.cookieHeader;
    const errors: { code?: string; message: string }[] = [];
    fixture.app.on('error', (err: { code?: string; message: string }) => errors.push(err));
    const response = await client.request('/fill?bytes=5000');
    expect(response.status).toBe(500);
    expect(client.lastSetCookie).toEqual([]);
    expect(errors[0]?.code).toBe('ERR_SESSION_TOO_LARGE');
    expect(errors[0]?.message).toMatch(/one koa-session cookie can carry/);
    expect(await new Client(server.url).json('/', { cookie: previous })).toEqual({ user: 'dee', isNew: false });
  });
});
