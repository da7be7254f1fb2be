import express, { type NextFunction, type Request, type Response } from 'express';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieSession } from '../src/index.js';
import { Client, listen, SECRET_A } from './support/http.js';

// passport 0.7's req.login calls req.session.regenerate then save; req.logout calls save then
// regenerate. They run unchanged on cookieSession's req.session.
const USERS = new Map([['ann', { id: 'u-ann', name: 'ann', password: 'correct horse' }]]);

function passportApp() {
  const authenticator = new passport.Passport();
  authenticator.use(
    new LocalStrategy((username, password, done) => {
      const user = USERS.get(username);
      done(null, user && user.password === password ? user : false);
    }),
  );
  authenticator.serializeUser((user, done) => done(null, (user as { id: string }).id));
  authenticator.deserializeUser((id: string, done) =>
    done(null, [...USERS.values()].find((user) => user.id === id) ?? false),
  );

  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(cookieSession({ secrets: [SECRET_A], name: 'sid' }));
  app.use(authenticator.session());
  app.post('/cart', (req, res) => {
    (req.session as unknown as { cart?: string[] }).cart = ['tea'];
    res.json({ ok: true });
  });
  app.post(
    '/login',
    authenticator.authenticate('local', { failWithError: true, keepSessionInfo: true }),
    (req, res) => {
      res.json({ user: (req.user as { name: string }).name });
    },
  );
  app.post('/logout', (req, res, next) => req.logout((err) => (err ? next(err) : res.json({ ok: true }))));
  app.get('/me', (req, res) => {
    res.json({
      user: (req.user as { name: string } | undefined)?.name ?? null,
      sessionId: req.session?.id ?? null,
      cart: (req.session as unknown as { cart?: string[] }).cart ?? null,
    });
  });
  app.use((err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status ?? 500).json({ error: err.message });
  });
  return app;
}

describe('passport 0.7 + passport-local on cookieSession', () => {
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    server = await listen(passportApp());
  });
  afterAll(() => server.close());

  const form = (body: Record<string, string>) => ({
    method: 'POST',
    body: new URLSearchParams(body),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });

  it('req.login regenerates the session (new id), keeps the session info asked for, and the user stays signed in', async () => {
    const client = new Client(server.url);
    await client.post('/cart');
    const before = await client.json('/me');
    expect(before).toMatchObject({ user: null, cart: ['tea'] });
    expect(await client.json('/login', form({ username: 'ann', password: 'correct horse' }))).toEqual({ user: 'ann' });
    const after = await client.json('/me');
    expect(after['user']).toBe('ann');
    expect(after['cart']).toEqual(['tea']);
    // Against session fixation: a new session id after login.
    expect(after['sessionId']).not.toBe(before['sessionId']);
  });

  it('a wrong password leaves the visitor signed out', async () => {
    const client = new Client(server.url);
    const response = await client.request('/login', form({ username: 'ann', password: 'wrong' }));
    expect(response.status).toBe(401);
    expect((await client.json('/me'))['user']).toBeNull();
  });

  it('req.logout signs out and regenerates; the old cookie no longer signs anyone in', async () => {
    const client = new Client(server.url);
    await client.json('/login', form({ username: 'ann', password: 'correct horse' }));
    const signedIn = client.cookieHeader;
    const { sessionId } = await client.json('/me');
    expect(await client.post('/logout')).toEqual({ ok: true });
    const me = await client.json('/me');
    expect(me['user']).toBeNull();
    expect(me['sessionId']).not.toBe(sessionId);
    // A replayed copy of the signed-in cookie still opens until it expires (stateless); see README
    // "Threat model": revocation closes that.
    expect((await new Client(server.url).json('/me', { cookie: signedIn }))['user']).toBe('ann');
  });
});
