import '@sessionkit/memory';
import { MemorySessionStore } from '@sessionkit/memory';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { Client, listen } from '@sessionkit/adapter-suite';
import { session, type SessionMiddleware, type SessionOptions } from '../src/index.js';

const SECRET = 'session-switch-test-secret-of-32-chars+';
type Bag = Record<string, unknown> & { regenerate(cb: (err?: unknown) => void): void; id: string };

/** The same app whatever the strategy: sign in (regenerate), add to the cart, read. */
function shop(options: SessionOptions): { app: express.Express; sessions: SessionMiddleware } {
  const app = express();
  const sessions = session(options);
  app.use(sessions);
  const bag = (req: Request) => req.session as unknown as Bag;
  app.post('/login/:user', (req, res, next) => {
    bag(req).regenerate((err) => {
      if (err) return next(err);
      bag(req)['user'] = req.params['user'];
      bag(req)['userId'] = req.params['user'];
      res.json({ ok: true });
    });
  });
  app.post('/cart/:sku', (req, res) => {
    bag(req)['cart'] = [...((bag(req)['cart'] as string[] | undefined) ?? []), req.params['sku']];
    res.json({ ok: true });
  });
  app.post('/blob/:bytes', (req, res) => {
    bag(req)['blob'] = Array.from({ length: Number(req.params['bytes']) }, (_, i) =>
      String.fromCharCode(65 + ((i * 7919) % 58)),
    ).join('');
    res.json({ ok: true });
  });
  app.get('/me', (req, res) => res.json({ user: bag(req)?.['user'] ?? null, cart: bag(req)?.['cart'] ?? [] }));
  app.use((err: Error & { status?: number; code?: string }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status ?? 500).json({ code: err.code, message: err.message });
  });
  return { app, sessions };
}

const running: { close(): Promise<void> }[] = [];
afterAll(() => Promise.all(running.map((r) => r.close())));

async function start(options: SessionOptions) {
  const { app, sessions } = shop(options);
  const server = await listen(app);
  running.push(server, sessions);
  return { url: server.url, sessions };
}

describe('session({ store }): one switch between strategies', () => {
  const strategies: [string, () => SessionOptions['store'], 'cookie' | 'server'][] = [
    ['cookie://', () => 'cookie://', 'cookie'],
    ['memory:// (a store URL)', () => 'memory://', 'server'],
    ['a SessionStore', () => new MemorySessionStore(), 'server'],
  ];
  for (const [label, store, strategy] of strategies) {
    it(`${label}: the same app signs in, keeps a cart, reads it back`, async () => {
      const { url, sessions } = await start({ store: store(), secret: SECRET, cookie: { maxAge: 60_000 } });
      expect(sessions.strategy).toBe(strategy);
      const client = new Client(url);
      await client.post('/cart/tea');
      await client.post('/login/ann');
      await client.post('/cart/mug');
      expect(await client.json('/me')).toEqual({ user: 'ann', cart: ['mug'] });
      const value = client.cookies.get('connect.sid')!;
      if (strategy === 'cookie') expect(value.split('.')).toHaveLength(5);
      else expect(decodeURIComponent(value)).toMatch(/^s:/);
    });
  }

  it('cookie:// takes its options from the URL', async () => {
    const { url } = await start({ store: 'cookie://?maxChunks=2&compress=false', secret: SECRET });
    const client = new Client(url);
    await client.post('/blob/5000');
    expect([...client.cookies.keys()].sort()).toEqual(['connect.sid', 'connect.sid.1']);
    const response = await client.request('/blob/9000', { method: 'POST' });
    expect(response.status).toBe(500);
    expect(((await response.json()) as { message: string }).message).toMatch(/maxChunks 2/);
  });

  it('cookie://?revocation=<store URL> enables revokeUser', async () => {
    const { url, sessions } = await start({
      store: `cookie://?revocation=${encodeURIComponent('memory://')}`,
      secret: SECRET,
    });
    const client = new Client(url);
    await client.post('/login/ann');
    expect((await client.json('/me'))['user']).toBe('ann');
    await sessions.revokeUser('ann');
    expect((await client.json('/me'))['user']).toBeNull();
  });

  it('refuses bad configuration at once, with what to do', () => {
    expect(() => session({ store: 'cookie://', secret: 'short' })).toThrow(
      /secrets\[0\] is 5 characters; a sealing secret needs at least 32/,
    );
    expect(() => session({ store: 'cookie://?colour=blue', secret: SECRET })).toThrow(
      /cookie:\/\/ has no parameter "colour"; known: compress, maxChunks/,
    );
    expect(() => session({ store: 'nosuch://x', secret: SECRET })).toThrow(
      /No session store is registered for "nosuch:"/,
    );
    expect(() => session({} as SessionOptions)).toThrow(/session\(\) needs \{ store, secret \}/);
  });
});
