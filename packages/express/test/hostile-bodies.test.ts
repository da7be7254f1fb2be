import { MemorySessionStore } from '@sessionkit/memory';
import express from 'express';
import session from 'express-session';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, listen } from '@sessionkit/adapter-suite';
import { ExpressSessionStore } from '../src/index.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** The pattern the review attacked: whatever JSON a client posts goes into its session. */
async function start(store: MemorySessionStore) {
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.use(
    session({
      store: new ExpressSessionStore(store),
      secret: 'hostile bodies',
      resave: false,
      saveUninitialized: false,
    }),
  );
  app.post('/login', (req, res) => {
    Object.assign(req.session, { passport: { user: 'victim' }, cart: ['tea'] });
    res.json({ ok: true });
  });
  app.post('/profile', (req, res) => {
    Object.assign(req.session, req.body);
    res.json({ ok: true });
  });
  // Saving before answering lets the store's verdict reach the client.
  app.post('/profile/save', (req, res, next) => {
    Object.assign(req.session, req.body);
    req.session.save((err) => (err ? next(err) : res.json({ ok: true })));
  });
  app.get('/me', (req, res) => {
    res.json({ user: (req.session as unknown as { passport?: { user?: string } }).passport?.user ?? null });
  });
  app.use(
    (
      err: Error & { status?: number; code?: string },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      res.status(err.status ?? 500).json({ code: err.code });
    },
  );
  const server = await listen(app);
  closers.push(server.close);
  return server.url;
}

describe('hostile request bodies through express-session', () => {
  it('a flood of anonymous 90 KB sessions does not log a logged-in user out of the memory store', async () => {
    // 300 × 90 KB is over 26 MB: four times the store's 6 MiB bound
    const store = new MemorySessionStore({ maxSizeBytes: 6 * 1024 * 1024 });
    const url = await start(store);
    const victim = new Client(url);
    await victim.post('/login');
    const blob = 'x'.repeat(90 * 1024);
    for (let i = 0; i < 300; i++) {
      const attacker = new Client(url);
      const response = await attacker.request('/profile', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ blob }),
      });
      expect(response.status).toBe(200);
    }
    expect(store.sizeBytes).toBeLessThanOrEqual(6 * 1024 * 1024);
    expect(await victim.json('/me')).toEqual({ user: 'victim' });
  }, 120_000);

  it('a body of 50,000 keys answers 400 and leaves the process and other sessions alone', async () => {
    const store = new MemorySessionStore();
    const url = await start(store);
    const victim = new Client(url);
    await victim.post('/login');
    const attacker = new Client(url);
    const body = JSON.stringify(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, 0])));
    const response = await attacker.request('/profile/save', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ code: 'ERR_SESSION_ENCODE' });
    // express-session's own save at the end of a response cannot change its status; it stores nothing
    const auto = await attacker.request('/profile', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(auto.status).toBe(200);
    expect(await store.length()).toBe(1);
    expect(await victim.json('/me')).toEqual({ user: 'victim' });
  }, 60_000);
});
