import { listen, MAX_HEADER_SIZE, noise, runCookieSuite, type CookieAppOptions } from '@sessionkit/adapter-suite';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createServer } from 'node:http';
import { session } from '../src/index.js';

type Bag = Record<string, unknown> & {
  id: string;
  regenerate(cb: (err?: unknown) => void): void;
  destroy(cb: (err?: unknown) => void): void;
};

/** The sealed-cookie suite's app on Express with session({ store: 'cookie://' }). */
async function start(options: CookieAppOptions) {
  const sessions = session({
    store: options.store,
    secret: options.secrets,
    name: 'sid',
    logger: { warn: () => {} },
    ...(options.revocation ? { revocation: options.revocation } : {}),
    ...(options.failMode ? { failMode: options.failMode } : {}),
  });
  if (options.onInvalid) sessions.cookieSession!.on('invalid', ({ reason }) => options.onInvalid!(reason));
  const app = express();
  app.use(sessions);
  const bag = (req: Request) => req.session as unknown as Bag | undefined;
  app.get('/me', (req, res) => {
    const current = bag(req);
    res.json({
      sessionID: current?.id ?? null,
      user: current?.['user'] ?? null,
      keys: current
        ? Object.keys(current)
            .filter((key) => key !== 'cookie')
            .sort()
        : [],
    });
  });
  app.get('/blob', (req, res) => res.json({ blob: bag(req)?.['blob'] ?? null }));
  app.post('/login', (req, res) => {
    bag(req)!['user'] = 'alice';
    res.json({ ok: true });
  });
  app.post('/set/:key/:value', (req, res) => {
    bag(req)![String(req.params['key'])] = req.params['value'];
    res.json({ ok: true });
  });
  app.post('/fill/:bytes', (req, res) => {
    bag(req)!['blob'] = noise(Number(req.params['bytes']));
    res.json({ ok: true });
  });
  app.post('/logout', (req, res, next) => bag(req)!.destroy((err) => (err ? next(err) : res.json({ ok: true }))));
  app.post('/regenerate', (req, res, next) =>
    bag(req)!.regenerate((err) => {
      if (err) return next(err);
      bag(req)!['user'] = 'bob';
      res.json({ ok: true });
    }),
  );
  app.use((err: Error & { status?: number; code?: string }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status ?? 500).json({ code: err.code ?? 'ERR_UNKNOWN' });
  });
  const server = await listen(createServer({ maxHeaderSize: MAX_HEADER_SIZE }, app));
  return { ...server, revokeUser: (id: string) => sessions.revokeUser(id) };
}

// The same sealed-cookie scenarios as Fastify's and Hono's session(), on Express's.
runCookieSuite({ name: 'session() (Express)', cookie: 'sid', start });
